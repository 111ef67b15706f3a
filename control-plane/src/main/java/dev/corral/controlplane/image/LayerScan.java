package dev.corral.controlplane.image;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;

import dev.corral.api.Image;
import dev.corral.api.oci.LayerEntries;
import dev.corral.api.oci.LayerStreamLimit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads one uploaded container layer through, without unpacking it: every entry must pass the {@link LayerEntries}
 * rules nodes apply when they unpack, and the uncompressed stream must hash to the config's diff_id. So an image
 * with a {@code ../} entry, an escaping symlink or hard link, a device node or a layer that is not what its config
 * says is refused at import, not when a container first starts on some node.
 */
final class LayerScan {

    /** The layer cannot be used; the message is the sentence for the problem's detail. */
    static final class BadLayerException extends Exception {
        BadLayerException(String message) {
            super(message);
        }
    }

    private LayerScan() {
    }

    /**
     * @param index    the layer's position in the image, for the message
     * @param maxBytes the most file content the layer may hold
     * @throws BadLayerException an entry breaks a rule, the stream is not a (gzip'd) tar, it holds more than
     *                           {@code maxBytes}, or its digest is not the diff_id
     */
    static void check(int index, Image.Layer layer, InputStream blob, long maxBytes) throws BadLayerException {
        String which = "layer " + index + " (blob " + layer.sha256() + ")";
        boolean gzipped = OciImageConfig.gzipped(layer.mediaType());
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        var rules = new LayerEntries();
        try (InputStream raw = new BufferedInputStream(blob, 1 << 16);
             InputStream plain = gzipped ? new GZIPInputStream(raw, 1 << 16) : raw;
             var digesting = new DigestInputStream(new LayerStreamLimit(plain, maxBytes), sha);
             var tar = new TarArchiveInputStream(digesting)) {
            long content = 0;
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                var type = LayerEntries.Type.of(entry.getLinkFlag(), entry.getName());
                content += type == LayerEntries.Type.FILE ? entry.getSize() : 0;
                if (content > maxBytes) {
                    throw new BadLayerException(which + " holds more than " + maxBytes + " bytes (corral.blobs.max-layer-mi-b)");
                }
                rules.check(entry.getName(), type, entry.getLinkName(),
                        entry.isCharacterDevice() || entry.isBlockDevice() ? entry.getDevMajor() + ":" + entry.getDevMinor()
                                : String.valueOf((char) entry.getLinkFlag()));
            }
            // The end-of-archive blocks and any padding after them are part of what the diff id covers.
            digesting.transferTo(OutputStream.nullOutputStream());
        } catch (LayerEntries.BadEntryException e) {
            throw new BadLayerException(which + " is refused: " + e.getMessage());
        } catch (LayerStreamLimit.TooLargeException e) {
            throw new BadLayerException(which + " " + e.getMessage() + " (corral.blobs.max-layer-mi-b)");
        } catch (IOException | IllegalArgumentException e) {
            throw new BadLayerException(which + " is not a readable " + (gzipped ? "gzip'd " : "") + "tar: " + e.getMessage());
        }
        String actual = "sha256:" + HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(layer.diffId())) {
            throw new BadLayerException(which + " uncompressed is " + actual + ", not the image config's diff_id " + layer.diffId());
        }
    }
}
