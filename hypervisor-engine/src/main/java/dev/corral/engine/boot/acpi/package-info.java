/**
 * ACPI tables generated per VM from a {@link dev.corral.engine.boot.acpi.Platform} (its processors, interrupt
 * controllers, fixed-hardware ports, devices and PCI host bridge): RSDP, XSDT, FADT, FACS, DSDT, MADT and MCFG
 * ({@link dev.corral.engine.boot.acpi.AcpiTables}), the DSDT's AML written by a small encoder
 * ({@link dev.corral.engine.boot.acpi.Aml}, {@link dev.corral.engine.boot.acpi.ResourceTemplate}), the PCI host
 * bridge's objects by {@link dev.corral.engine.boot.acpi.PciHostBridge}. Nothing is read from the host: the same
 * platform gives the same bytes.
 */
package dev.corral.engine.boot.acpi;
