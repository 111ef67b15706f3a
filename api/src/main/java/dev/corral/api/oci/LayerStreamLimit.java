package dev.corral.api.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A layer's uncompressed tar, counted as it is read: past the limit, reading fails with {@link TooLargeException}.
 * Both readers of layers (the control plane's check at import, a node's unpack) count the files' declared sizes, but
 * a tar is more than its files: headers, the end-of-archive blocks and whatever follows them, which the readers must
 * also read for the diff id. A 255 KiB gzip of a small tar and zeros after it made the control plane read 256 MiB; a
 * 512 MiB upload of the kind, listed as every layer of an image, would have kept it reading for hours.
 */
public final class LayerStreamLimit extends FilterInputStream {

    /** The layer unpacks to more bytes than the limit; the message says how many it may have. */
    public static final class TooLargeException extends IOException {
        TooLargeException(long limit) {
            super("unpacks to more than " + limit + " bytes");
        }
    }

    private final long limit;
    private long count;

    /** @param limit the most bytes the uncompressed tar may have, headers and padding included */
    public LayerStreamLimit(InputStream uncompressed, long limit) {
        super(uncompressed);
        this.limit = limit;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            counted(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
            counted(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        if (skipped > 0) {
            counted(skipped);
        }
        return skipped;
    }

    private void counted(long n) throws TooLargeException {
        count += n;
        if (count > limit) {
            throw new TooLargeException(limit);
        }
    }
}
