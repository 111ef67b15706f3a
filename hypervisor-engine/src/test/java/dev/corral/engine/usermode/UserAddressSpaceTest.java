package dev.corral.engine.usermode;

import static dev.corral.engine.usermode.UserAddressSpace.PROT_EXEC;
import static dev.corral.engine.usermode.UserAddressSpace.PROT_READ;
import static dev.corral.engine.usermode.UserAddressSpace.PROT_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.cpu.state.MemoryFault;
import org.junit.jupiter.api.Test;

class UserAddressSpaceTest {

    private static final long BASE = 0x40_0000;
    private static final int RW = PROT_READ | PROT_WRITE;

    @Test
    void accessesAreLittleEndianUnalignedAndMayCrossPages() {
        var m = new UserAddressSpace();
        m.map(BASE, 2 * 4096, RW);
        long edge = BASE + 4096 - 3;
        m.write64(edge, 0x0807060504030201L);
        assertThat(m.read8(edge)).isEqualTo(0x01);
        assertThat(m.read16(edge + 1)).isEqualTo(0x0302);
        assertThat(m.read32(edge + 2)).isEqualTo(0x06050403);
        assertThat(m.read64(edge)).isEqualTo(0x0807060504030201L);
        m.write32(BASE + 4096 - 1, 0xaabbccdd);
        assertThat(m.read8(BASE + 4096 - 1)).isEqualTo(0xdd);
        assertThat(m.read8(BASE + 4096)).isEqualTo(0xcc);
        m.write16(BASE + 4096 - 1, 0x1122);
        assertThat(m.read16(BASE + 4096 - 1)).isEqualTo(0x1122);
    }

    @Test
    void freshMappingsReadAsZeroAndUnmappedAddressesFaultWithTheirAddress() {
        var m = new UserAddressSpace();
        m.map(BASE, 4096, RW);
        assertThat(m.read64(BASE + 100)).isZero();
        assertThatThrownBy(() -> m.read32(BASE + 4096 + 8)).isInstanceOfSatisfying(MemoryFault.class, f -> {
            assertThat(f.address()).isEqualTo(BASE + 4096 + 8);
            assertThat(f.access()).isEqualTo(MemoryFault.Access.READ);
        });
        assertThatThrownBy(() -> m.read8(-4096)).isInstanceOf(MemoryFault.class);
        assertThatThrownBy(() -> m.write8(0, 1)).isInstanceOf(MemoryFault.class);
    }

    @Test
    void aWriteThatCrossesIntoAReadOnlyPageFaultsWithoutChangingTheFirstPage() {
        var m = new UserAddressSpace();
        m.map(BASE, 4096, RW);
        m.map(BASE + 4096, 4096, PROT_READ);
        assertThatThrownBy(() -> m.write64(BASE + 4096 - 4, -1L)).isInstanceOfSatisfying(MemoryFault.class,
                f -> assertThat(f.access()).isEqualTo(MemoryFault.Access.WRITE));
        assertThat(m.read32(BASE + 4096 - 4)).isZero();
        assertThatThrownBy(() -> m.write(BASE + 4000, new byte[200], 0, 200)).isInstanceOf(MemoryFault.class);
        assertThat(m.read64(BASE + 4000)).isZero();
    }

    @Test
    void fetchNeedsExecutePermissionAndReadDoesNot() {
        var m = new UserAddressSpace();
        m.map(BASE, 4096, PROT_READ);
        m.map(BASE + 4096, 4096, PROT_READ | PROT_EXEC);
        assertThat(m.read8(BASE)).isZero();
        assertThatThrownBy(() -> m.fetch8(BASE)).isInstanceOfSatisfying(MemoryFault.class,
                f -> assertThat(f.access()).isEqualTo(MemoryFault.Access.EXECUTE));
        assertThat(m.fetch8(BASE + 4096)).isZero();
    }

    @Test
    void mprotectChangesPagesAlreadyTouchedAndThoseNotYetTouched() {
        var m = new UserAddressSpace();
        m.map(BASE, 3 * 4096, RW);
        m.write8(BASE, 7); // touched, and in the write TLB
        assertThat(m.protect(BASE, 2 * 4096, PROT_READ)).isTrue();
        assertThatThrownBy(() -> m.write8(BASE, 1)).isInstanceOf(MemoryFault.class);
        assertThatThrownBy(() -> m.write8(BASE + 4096, 1)).isInstanceOf(MemoryFault.class);
        m.write8(BASE + 2 * 4096, 1);
        assertThat(m.read8(BASE)).isEqualTo(7);
        assertThat(m.protect(BASE, 4096, 0)).isTrue();
        assertThatThrownBy(() -> m.read8(BASE)).isInstanceOf(MemoryFault.class);
        assertThat(m.protect(BASE + 2 * 4096, 2 * 4096, PROT_READ)).as("range partly unmapped").isFalse();
    }

    @Test
    void terabyteRangesAreMappedProtectedAndUnmappedWithoutWalkingThem() {
        var m = new UserAddressSpace();
        long tib = 1L << 40;
        m.map(tib, 32 * tib, RW);
        m.write64(tib + 5 * 4096, 9);
        assertThat(m.protect(tib, 32 * tib, PROT_READ)).isTrue();
        assertThatThrownBy(() -> m.write8(tib, 1)).isInstanceOf(MemoryFault.class);
        assertThat(m.read64(tib + 5 * 4096)).isEqualTo(9);
        m.unmap(tib, 32 * tib);
        assertThatThrownBy(() -> m.read8(tib + 5 * 4096)).isInstanceOf(MemoryFault.class);
    }

    @Test
    void munmapDropsContentsAndALaterMappingStartsZeroed() {
        var m = new UserAddressSpace();
        m.map(BASE, 2 * 4096, RW);
        m.write64(BASE + 4096, 42);
        m.unmap(BASE + 4096, 4096);
        assertThatThrownBy(() -> m.read8(BASE + 4096)).isInstanceOf(MemoryFault.class);
        m.write8(BASE, 1); // the first page stays
        m.map(BASE + 4096, 4096, RW);
        assertThat(m.read64(BASE + 4096)).isZero();
    }

    @Test
    void forkedCopiesShareBytesButWritesOnEitherSideStayPrivate() {
        var parent = new UserAddressSpace();
        parent.map(BASE, 2 * 4096, RW);
        parent.write64(BASE, 111);
        parent.write64(BASE + 4096, 222);
        var child = parent.fork();
        assertThat(child.read64(BASE)).isEqualTo(111);
        child.write64(BASE, 333);
        parent.write64(BASE + 4096, 444);
        assertThat(parent.read64(BASE)).isEqualTo(111);
        assertThat(child.read64(BASE)).isEqualTo(333);
        assertThat(child.read64(BASE + 4096)).isEqualTo(222);
        assertThat(parent.read64(BASE + 4096)).isEqualTo(444);
        child.unmap(BASE, 4096);
        assertThat(parent.read64(BASE)).isEqualTo(111);
    }

    @Test
    void writesToAWatchedCodePageAreReportedWithThePageAddress() {
        var m = new UserAddressSpace();
        m.map(BASE, 2 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
        List<Long> written = new ArrayList<>();
        m.setCodeWriteListener(written::add);
        m.write8(BASE + 4096 + 5, 1); // puts the page in the write TLB before it is watched
        m.watchCode(BASE + 4096);
        m.write8(BASE + 10, 1);
        assertThat(written).as("page not watched").isEmpty();
        m.write8(BASE + 4096 + 5, 2);
        m.write64(BASE + 4096 + 8, 3);
        m.write(BASE + 4096 - 2, new byte[4], 0, 4);
        m.poke(BASE + 4096, new byte[1], 0, 1);
        assertThat(written).containsExactly(BASE + 4096, BASE + 4096, BASE + 4096, BASE + 4096);
    }

    @Test
    void pagesCountAgainstTheBudgetUntilUnmappedOrReleased() {
        var budget = new PageBudget(3);
        var m = new UserAddressSpace(budget);
        m.map(BASE, 8 * 4096, RW);
        m.write8(BASE, 1);
        m.write8(BASE + 4096, 1);
        m.read8(BASE + 2 * 4096);
        assertThat(budget.used()).isEqualTo(3);
        assertThatThrownBy(() -> m.write8(BASE + 3 * 4096, 1)).isInstanceOf(PageBudget.Exhausted.class);
        m.unmap(BASE, 4096);
        m.write8(BASE + 3 * 4096, 1);
        var child = m.fork();
        assertThatThrownBy(() -> child.write8(BASE + 4096, 2)).as("a copy-on-write copy is a new page")
                .isInstanceOf(PageBudget.Exhausted.class);
        m.release();
        child.write8(BASE + 4096, 2);
        assertThat(child.read8(BASE + 4096)).isEqualTo(2);
    }

    @Test
    void findFreePrefersTheHintThenTheHighestGapBelowTheCeiling() {
        var m = new UserAddressSpace();
        m.setMmapCeiling(0x7000_0000L);
        m.map(0x7000_0000L - 0x2000, 0x2000, RW);
        assertThat(m.findFree(0, 0x1000)).isEqualTo(0x7000_0000L - 0x3000);
        assertThat(m.findFree(0x1000_0000L, 0x1000)).isEqualTo(0x1000_0000L);
        assertThat(m.findFree(0x7000_0000L - 0x2000, 0x1000)).as("hint taken").isEqualTo(0x7000_0000L - 0x3000);
    }

    @Test
    void probingAWriteChecksPermissionWithoutWritingOrReportingCode() {
        var m = new UserAddressSpace();
        m.map(BASE, 4096, RW | PROT_EXEC);
        m.map(BASE + 4096, 4096, PROT_READ);
        var written = new java.util.ArrayList<Long>();
        m.setCodeWriteListener(written::add);
        m.write8(BASE + 10, 0x5a);
        m.watchCode(BASE);
        m.probeWrite(BASE + 10);
        assertThat(m.read8(BASE + 10)).isEqualTo(0x5a);
        assertThat(written).isEmpty();
        assertThatThrownBy(() -> m.probeWrite(BASE + 4096)).isInstanceOfSatisfying(dev.corral.engine.cpu.state.MemoryFault.class,
                f -> assertThat(f.access()).isEqualTo(dev.corral.engine.cpu.state.MemoryFault.Access.WRITE));
    }

    @Test
    void parentAndChildWritingAtOnceNeverSeeEachOthersBytes() throws Exception {
        // Parent and child run on their own threads: the one that unshares second must not copy the page while
        // the other (then its last holder) is already writing it.
        for (int round = 0; round < 300; round++) {
            var parent = new UserAddressSpace();
            parent.map(BASE, 4096, RW);
            parent.write8(BASE, 0); // materialize the page, so that the fork shares its array
            var child = parent.fork();
            var start = new java.util.concurrent.CountDownLatch(1);
            var writer = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = 0; k < 4; k++) {
                    for (int off = 8; off < 4096; off += 8) {
                        child.write64(BASE + off, -1L);
                    }
                }
            });
            start.countDown();
            parent.write8(BASE, 7);
            writer.join();
            for (int off = 8; off < 4096; off += 8) {
                assertThat(parent.read64(BASE + off)).as("round %d, offset %d: the child's write leaked into the parent", round, off).isZero();
            }
            assertThat(parent.read8(BASE)).isEqualTo(7);
        }
    }
}
