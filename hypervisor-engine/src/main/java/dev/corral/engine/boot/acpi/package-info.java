/**
 * ACPI tables generated per VM from a {@link dev.corral.engine.boot.acpi.Platform} (its processors, interrupt
 * controllers, fixed-hardware ports and devices): RSDP, XSDT, FADT, FACS, DSDT and MADT
 * ({@link dev.corral.engine.boot.acpi.AcpiTables}), the DSDT's AML written by a small encoder
 * ({@link dev.corral.engine.boot.acpi.Aml}, {@link dev.corral.engine.boot.acpi.ResourceTemplate}). Nothing is
 * read from the host: the same platform gives the same bytes.
 */
package dev.corral.engine.boot.acpi;
