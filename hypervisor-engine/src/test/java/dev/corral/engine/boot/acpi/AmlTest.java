package dev.corral.engine.boot.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The AML encoder, byte for byte against ACPI 6.3 chapter 20 (iasl's view of whole tables is in AcpiTablesTest). */
class AmlTest {

    @Test
    void pkgLengthUsesOneByteUpTo63AndCountsItsOwnBytes() {
        assertThat(Aml.pkgLength(0)).containsExactly(0x01);
        assertThat(Aml.pkgLength(62)).containsExactly(0x3f);
        // 63 bytes of content + 2 of PkgLength = 65 = 0x41: low nibble 1 in the lead byte, 0x4 in the next.
        assertThat(Aml.pkgLength(63)).containsExactly(0x41, 0x04);
    }

    @Test
    void pkgLengthGrowsToThreeAndFourBytesAtItsBoundaries() {
        assertThat(Aml.pkgLength(0xfff - 2)).containsExactly(0x4f, 0xff);                  // 0xfff in two bytes
        assertThat(Aml.pkgLength(0xfff - 1)).containsExactly(0x81, 0x00, 0x01);            // 0x1001 in three
        assertThat(Aml.pkgLength(0xfffff - 3)).containsExactly(0x8f, 0xff, 0xff);          // 0xfffff in three
        assertThat(Aml.pkgLength(0xfffff - 2)).containsExactly(0xc1, 0x00, 0x00, 0x01);    // 0x100001 in four
        assertThat(Aml.pkgLength(0xfffffff - 4)).containsExactly(0xcf, 0xff, 0xff, 0xff);  // the largest
        assertThatThrownBy(() -> Aml.pkgLength(0xfffffff - 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("longer than PkgLength can say");
    }

    @Test
    void pkgLengthDecodesBackToWhatItCoversForRandomLengths() {
        var random = new Random(2026_12_06);
        for (int i = 0; i < 10_000; i++) {
            int content = random.nextInt(1 << (1 + random.nextInt(27)));
            byte[] encoded = Aml.pkgLength(content);
            int lead = encoded[0] & 0xff;
            int follow = lead >>> 6;
            assertThat(encoded).hasSize(1 + follow);
            long decoded = follow == 0 ? lead & 0x3f : lead & 0x0f;
            for (int b = 1; b <= follow; b++) {
                decoded |= (long) (encoded[b] & 0xff) << (4 + 8 * (b - 1));
            }
            assertThat(decoded).as("content %d", content).isEqualTo(content + encoded.length);
            if (follow > 0) {
                assertThat(lead & 0x30).as("bits 5-4 of a multi-byte lead are reserved").isZero();
                assertThat(Aml.pkgLength(content)).as("the shortest form").hasSize(shortest(content));
            }
        }
    }

    private static int shortest(int content) {
        for (int n = 1; ; n++) {
            long limit = n == 1 ? 0x3f : (1L << (4 + 8 * (n - 1))) - 1;
            if (content + n <= limit) {
                return n;
            }
        }
    }

    @Test
    void integersTakeTheShortestEncoding() {
        assertThat(Aml.integer(0).bytes()).containsExactly(0x00);
        assertThat(Aml.integer(1).bytes()).containsExactly(0x01);
        assertThat(Aml.integer(2).bytes()).containsExactly(0x0a, 0x02);
        assertThat(Aml.integer(0xff).bytes()).containsExactly(0x0a, 0xff);
        assertThat(Aml.integer(0x100).bytes()).containsExactly(0x0b, 0x00, 0x01);
        assertThat(Aml.integer(0xffff).bytes()).containsExactly(0x0b, 0xff, 0xff);
        assertThat(Aml.integer(0x10000).bytes()).containsExactly(0x0c, 0x00, 0x00, 0x01, 0x00);
        assertThat(Aml.integer(0xffff_ffffL).bytes()).containsExactly(0x0c, 0xff, 0xff, 0xff, 0xff);
        assertThat(Aml.integer(0x1_0000_0000L).bytes()).containsExactly(0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
        assertThat(Aml.integer(-1).bytes()).containsExactly(0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
        assertThat(Aml.ones().bytes()).containsExactly(0xff);
    }

    @Test
    void namesArePaddedAndPrefixedAsTheAslCompilerWritesThem() {
        assertThat(Aml.nameString("_SB")).containsExactly('_', 'S', 'B', '_');
        assertThat(Aml.nameString("\\_S5")).containsExactly('\\', '_', 'S', '5', '_');
        assertThat(Aml.nameString("\\_SB.COM1")).containsExactly('\\', 0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1');
        assertThat(Aml.nameString("\\_SB.PCI0.ISA")).containsExactly('\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_');
        assertThat(Aml.nameString("^^PCI0")).containsExactly('^', '^', 'P', 'C', 'I', '0');
        assertThat(Aml.nameString("\\")).containsExactly('\\', 0x00);
        for (String bad : List.of("", "1ABC", "ABCDE", "com1", "_SB..X", "_SB.", "A-B")) {
            assertThatThrownBy(() -> Aml.nameString(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void stringsAreNullTerminatedAscii() {
        assertThat(Aml.string("ACPI0007").bytes()).containsExactly(0x0d, 'A', 'C', 'P', 'I', '0', '0', '0', '7', 0);
        assertThat(Aml.string("").bytes()).containsExactly(0x0d, 0);
        assertThatThrownBy(() -> Aml.string("caf\u00e9")).hasMessageContaining("ASCII");
        assertThatThrownBy(() -> Aml.string("a\0b")).hasMessageContaining("ASCII");
    }

    @Test
    void eisaIdsAreCompressedBigEndian() {
        // Values as every BIOS's ASL compiles them: EisaId("PNP0501") is 0x0105D041.
        assertThat(Aml.eisaIdValue("PNP0501")).isEqualTo(0x0105d041);
        assertThat(Aml.eisaIdValue("PNP0303")).isEqualTo(0x0303d041);
        assertThat(Aml.eisaIdValue("PNP0B00")).isEqualTo(0x000bd041);
        assertThat(Aml.eisaIdValue("PNP0C02")).isEqualTo(0x020cd041);
        assertThat(Aml.eisaId("PNP0501").bytes()).containsExactly(0x0c, 0x41, 0xd0, 0x05, 0x01);
        assertThatThrownBy(() -> Aml.eisaId("pnp0501")).hasMessageContaining("EISA id");
        assertThatThrownBy(() -> Aml.eisaId("PNP050")).hasMessageContaining("EISA id");
    }

    @Test
    void namedObjectsPackagesBuffersScopesAndDevicesNestWithTheirLengths() {
        assertThat(Aml.name("\\_S5", Aml.pkg(Aml.integer(5), Aml.integer(5), Aml.integer(0), Aml.integer(0))).bytes())
                .containsExactly(0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00);
        assertThat(Aml.buffer(new byte[] {0x79, 0x00}).bytes()).containsExactly(0x11, 0x05, 0x0a, 0x02, 0x79, 0x00);
        assertThat(Aml.buffer(new byte[0]).bytes()).containsExactly(0x11, 0x02, 0x00);
        assertThat(Aml.device("COM1", List.of(Aml.name("_UID", Aml.integer(1)))).bytes())
                .containsExactly(0x5b, 0x82, 0x0b, 'C', 'O', 'M', '1', 0x08, '_', 'U', 'I', 'D', 0x01);
        assertThat(Aml.scope("\\_SB", List.of()).bytes()).containsExactly(0x10, 0x06, '\\', '_', 'S', 'B', '_');
        assertThatThrownBy(() -> Aml.pkg(java.util.Collections.nCopies(256, Aml.integer(0)))).hasMessageContaining("at most 255");
    }

    @Test
    void aDeviceLongerThan63BytesTakesATwoBytePkgLength() {
        var body = new java.util.ArrayList<Aml.Term>();
        for (int i = 0; i < 10; i++) {
            body.add(Aml.name(String.format("N%03d", i), Aml.integer(0x1234)));   // 8 bytes each
        }
        byte[] device = Aml.device("BIGD", body).bytes();
        // ExtOpPrefix, DeviceOp, PkgLength(2), "BIGD", 80 bytes of names: the length covers 2 + 4 + 80 = 86 = 0x56.
        assertThat(device).hasSize(2 + 2 + 4 + 80);
        assertThat(device[2] & 0xff).isEqualTo(0x46);
        assertThat(device[3] & 0xff).isEqualTo(0x05);
    }

    @Test
    void resourceTemplatesHoldIoAndIrqDescriptorsAndAnEndTag() {
        byte[] crs = new ResourceTemplate().io(0x3f8, 8).irq(4).toBuffer().bytes();
        assertThat(crs).containsExactly(0x11, 0x10, 0x0a, 0x0d,
                0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
                0x22, 0x10, 0x00,
                0x79, 0x00);
        assertThat(new ResourceTemplate().irq(12).toBuffer().bytes()).containsSubsequence(0x22, 0x00, 0x10);
        assertThatThrownBy(() -> new ResourceTemplate().irq(16)).hasMessageContaining("IRQ 0-15");
        assertThatThrownBy(() -> new ResourceTemplate().io(0xfffe, 4)).hasMessageContaining("inside 0-0xffff");
        assertThatThrownBy(() -> new ResourceTemplate().io(0x60, 0)).hasMessageContaining("1-255 ports");
    }

    @Test
    void addressSpaceDescriptorsOfAHostBridgeAreLargeItemsWithFixedWindows() {
        // Bytes as iasl compiles QEMU's q35 host bridge _CRS (WordBusNumber, WordIO, DWordMemory), and a Memory32Fixed.
        assertThat(new ResourceTemplate().wordBusNumber(0, 0).toBuffer().bytes()).containsExactly(0x11, 0x15, 0x0a, 0x12,
                0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
                0x79, 0x00);
        assertThat(body(new ResourceTemplate().wordIo(0, 0xcf7))).containsExactly(
                0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x00, 0xf7, 0x0c, 0x00, 0x00, 0xf8, 0x0c);
        assertThat(body(new ResourceTemplate().wordIo(0xd00, 0xffff))).containsExactly(
                0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3);
        assertThat(body(new ResourceTemplate().dwordMemory(0xc000_0000L, 0xfebf_ffffL))).containsExactly(
                0x87, 0x17, 0x00, 0x00, 0x0c, 0x01,
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xbf, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x3e);
        assertThat(body(new ResourceTemplate().memory32Fixed(0xb000_0000L, 0x10_0000))).containsExactly(
                0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb0, 0x00, 0x00, 0x10, 0x00);
        assertThat(body(new ResourceTemplate().wordBusNumber(0, 0xff))).endsWith(0xff, 0x00, 0x00, 0x00, 0x00, 0x01);
    }

    @Test
    void windowsThatCannotBeSaidAreRefused() {
        assertThatThrownBy(() -> new ResourceTemplate().wordBusNumber(0, 256)).hasMessageContaining("0-255");
        assertThatThrownBy(() -> new ResourceTemplate().wordBusNumber(3, 2)).hasMessageContaining("first to last");
        assertThatThrownBy(() -> new ResourceTemplate().wordIo(0, 0xffff)).hasMessageContaining("fits 16 bits");
        assertThatThrownBy(() -> new ResourceTemplate().wordIo(0x10, 0x10000)).hasMessageContaining("0-0xffff");
        assertThatThrownBy(() -> new ResourceTemplate().dwordMemory(0, 0xffff_ffffL)).hasMessageContaining("fits 32 bits");
        assertThatThrownBy(() -> new ResourceTemplate().dwordMemory(0xf000_0000L, 0x1_0000_0000L)).hasMessageContaining("below 4 GiB");
        assertThatThrownBy(() -> new ResourceTemplate().memory32Fixed(0xffff_f000L, 0x2000)).hasMessageContaining("below 4 GiB");
        assertThatThrownBy(() -> new ResourceTemplate().memory32Fixed(0x1000, 0)).hasMessageContaining("below 4 GiB");
    }

    /** The descriptors of a template without the Buffer around them and the End Tag after them. */
    private static byte[] body(ResourceTemplate template) {
        byte[] buffer = template.toBuffer().bytes();
        int lengthBytes = 1 + ((buffer[1] & 0xff) >>> 6);
        int sizeBytes = buffer[1 + lengthBytes] == 0x0a ? 2 : 3;
        return java.util.Arrays.copyOfRange(buffer, 1 + lengthBytes + sizeBytes, buffer.length - 2);
    }

    @Test
    void methodsAndTheirOperatorsEncodeAsChapterTwentySays() {
        // MethodOp PkgLength NameString MethodFlags (4 args | Serialized) ReturnOp Arg3.
        assertThat(Aml.method("_OSC", 4, true, List.of(Aml.returnValue(Aml.arg(3)))).bytes())
                .containsExactly(0x14, 0x08, '_', 'O', 'S', 'C', 0x0c, 0xa4, 0x6b);
        assertThat(Aml.method("FOO", 0, false, List.of()).bytes()).containsExactly(0x14, 0x06, 'F', 'O', 'O', '_', 0x00);
        assertThat(Aml.createDWordField(Aml.arg(3), Aml.integer(0), "CDW1").bytes())
                .containsExactly(0x8a, 0x6b, 0x00, 'C', 'D', 'W', '1');
        assertThat(Aml.lNot(Aml.lEqual(Aml.arg(1), Aml.integer(1))).bytes()).containsExactly(0x92, 0x93, 0x69, 0x01);
        var cdw1 = Aml.reference("CDW1");
        // IfOp PkgLength(15) LEqual(Arg1, One) Or(CDW1, 8, CDW1); ElseOp PkgLength(12) Or(CDW1, 4, CDW1).
        assertThat(Aml.ifElse(Aml.lEqual(Aml.arg(1), Aml.integer(1)), List.of(Aml.or(cdw1, Aml.integer(8), cdw1)),
                List.of(Aml.or(cdw1, Aml.integer(4), cdw1))).bytes()).containsExactly(
                        0xa0, 0x0f, 0x93, 0x69, 0x01, 0x7d, 'C', 'D', 'W', '1', 0x0a, 0x08, 'C', 'D', 'W', '1',
                        0xa1, 0x0c, 0x7d, 'C', 'D', 'W', '1', 0x0a, 0x04, 'C', 'D', 'W', '1');
        assertThat(Aml.ifElse(Aml.arg(0), List.of(), List.of()).bytes()).as("no Else when it has nothing")
                .containsExactly(0xa0, 0x02, 0x68);
        assertThat(Aml.reference("\\_SB.PCI0").bytes()).containsExactly('\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
        assertThatThrownBy(() -> Aml.method("_OSC", 8, false, List.of())).hasMessageContaining("0-7 arguments");
        assertThatThrownBy(() -> Aml.arg(7)).hasMessageContaining("Arg0-Arg6");
    }

    @Test
    void aUuidBecomesTheBufferToUuidMakes() {
        // ToUUID("33DB4D5B-1FF7-401C-9657-7441C03DD766"), the PCI host bridge _OSC UUID, as every firmware's AML has it.
        assertThat(Aml.uuid("33db4d5b-1ff7-401c-9657-7441c03dd766").bytes()).containsExactly(0x11, 0x13, 0x0a, 0x10,
                0x5b, 0x4d, 0xdb, 0x33, 0xf7, 0x1f, 0x1c, 0x40, 0x96, 0x57, 0x74, 0x41, 0xc0, 0x3d, 0xd7, 0x66);
        assertThat(Aml.uuid("33DB4D5B-1FF7-401C-9657-7441C03DD766").bytes())
                .isEqualTo(Aml.uuid("33db4d5b-1ff7-401c-9657-7441c03dd766").bytes());
        assertThatThrownBy(() -> Aml.uuid("33db4d5b-1ff7-401c-9657")).hasMessageContaining("not a UUID");
        assertThatThrownBy(() -> Aml.uuid("1-2-3-4-5")).hasMessageContaining("8-4-4-4-12");
    }
}
