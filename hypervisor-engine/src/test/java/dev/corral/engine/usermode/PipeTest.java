package dev.corral.engine.usermode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class PipeTest {

    @Test
    void readerGetsBytesInOrderThenEndOfFileOnceTheWriterCloses() {
        Pipe pipe = new Pipe();
        assertThat(pipe.writeEnd.write("abc".getBytes(), 3)).isEqualTo(3);
        assertThat(pipe.writeEnd.write("def".getBytes(), 3)).isEqualTo(3);
        pipe.writeEnd.release();
        byte[] buf = new byte[4];
        assertThat(pipe.readEnd.read(buf, 4)).isEqualTo(4);
        assertThat(new String(buf)).isEqualTo("abcd");
        assertThat(pipe.readEnd.read(buf, 4)).isEqualTo(2);
        assertThat(pipe.readEnd.read(buf, 4)).isZero();
    }

    @Test
    void aWriterBlocksWhileSixtyFourKibibytesAreUnreadAndResumesWhenTheReaderDrains() throws Exception {
        Pipe pipe = new Pipe();
        byte[] big = new byte[Pipe.CAPACITY + 10];
        var writer = CompletableFuture.supplyAsync(() -> pipe.writeEnd.write(big, big.length));
        Thread.sleep(100);
        assertThat(writer).isNotDone();
        byte[] buf = new byte[Pipe.CAPACITY];
        long total = pipe.readEnd.read(buf, buf.length);
        assertThat(writer.get(5, TimeUnit.SECONDS)).isEqualTo(big.length);
        total += pipe.readEnd.read(buf, buf.length);
        assertThat(total).isEqualTo(big.length);
    }

    @Test
    void aSmallWriteWaitsForRoomForAllOfItSoWritersDoNotInterleave() throws Exception {
        Pipe pipe = new Pipe();
        pipe.writeEnd.write(new byte[Pipe.CAPACITY - 10], Pipe.CAPACITY - 10);
        byte[] small = new byte[100];
        var writer = CompletableFuture.supplyAsync(() -> pipe.writeEnd.write(small, small.length));
        Thread.sleep(100);
        assertThat(writer).as("10 bytes free are not enough for an atomic 100").isNotDone();
        pipe.readEnd.read(new byte[200], 200);
        assertThat(writer.get(5, TimeUnit.SECONDS)).isEqualTo(100);
    }

    @Test
    void aReaderBlocksUntilDataArrives() throws Exception {
        Pipe pipe = new Pipe();
        byte[] buf = new byte[8];
        var reader = CompletableFuture.supplyAsync(() -> pipe.readEnd.read(buf, 8));
        Thread.sleep(100);
        assertThat(reader).isNotDone();
        pipe.writeEnd.write("x".getBytes(), 1);
        assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void writingWithNoReaderLeftIsEpipeAndWakesABlockedWriter() throws Exception {
        Pipe pipe = new Pipe();
        byte[] big = new byte[Pipe.CAPACITY * 2];
        var writer = CompletableFuture.supplyAsync(() -> pipe.writeEnd.write(big, big.length));
        Thread.sleep(100);
        pipe.readEnd.release();
        assertThat(writer.get(5, TimeUnit.SECONDS)).as("the part written before the reader left").isEqualTo(Pipe.CAPACITY);
        assertThat(pipe.writeEnd.write(big, 1)).isEqualTo(-Errno.EPIPE);
    }

    @Test
    void aDescriptionSharedByDupStaysOpenUntilItsLastReferenceCloses() {
        Pipe pipe = new Pipe();
        pipe.writeEnd.retain(); // a second descriptor (dup or fork)
        pipe.writeEnd.release();
        pipe.writeEnd.write("y".getBytes(), 1);
        byte[] buf = new byte[2];
        assertThat(pipe.readEnd.read(buf, 2)).isEqualTo(1);
        pipe.readEnd.statusFlags |= OpenFile.O_NONBLOCK;
        assertThat(pipe.readEnd.read(buf, 2)).as("still a writer: would block").isEqualTo(-Errno.EAGAIN);
        pipe.writeEnd.release();
        assertThat(pipe.readEnd.read(buf, 2)).isZero();
    }
}
