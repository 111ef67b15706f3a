package dev.corral.engine.storage;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The process the crash test kills: writes to a qcow2 overlay as fast as it can, flushing every few steps, and
 * logs each step before it starts ({@code w N}) and each flush after it returned ({@code f N}: steps up to N are
 * promised durable). Each log line is one write(2), so a SIGKILL keeps every line logged before it.
 *
 * <p>Arguments: overlay, raw base, log file, seed.
 */
final class Qcow2CrashWriter {

    private Qcow2CrashWriter() {
    }

    public static void main(String[] args) throws IOException, StorageException {
        Path overlay = Path.of(args[0]);
        Path base = Path.of(args[1]);
        try (FileOutputStream log = new FileOutputStream(args[2], true);
             Qcow2Image disk = Qcow2Image.open(overlay, false, Backing.file(base, ImageFormat.RAW))) {
            CrashOps ops = new CrashOps(Long.parseLong(args[3]), disk.size());
            log.write("ready\n".getBytes(StandardCharsets.US_ASCII));
            for (int step = 0; ; step++) {
                CrashOps.Op op = ops.next();
                log.write(("w " + step + "\n").getBytes(StandardCharsets.US_ASCII));
                if (op.data() == null) {
                    disk.discard(op.offset(), op.length());
                } else {
                    disk.write(op.offset(), ByteBuffer.wrap(op.data()));
                }
                if (step % CrashOps.FLUSH_EVERY == CrashOps.FLUSH_EVERY - 1) {
                    disk.flush();
                    log.write(("f " + step + "\n").getBytes(StandardCharsets.US_ASCII));
                }
            }
        }
    }
}
