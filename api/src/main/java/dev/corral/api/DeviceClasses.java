package dev.corral.api;

/** Friendly device class names from PCI class codes (PCI Code and ID Assignment Specification, base class). */
public final class DeviceClasses {
    private DeviceClasses() {
    }

    /** @param classCode 4 hex digits, base class then subclass ({@code 0302}) */
    public static String of(String classCode) {
        if (classCode == null || classCode.length() < 2) {
            return "other";
        }
        String base = classCode.substring(0, 2).toLowerCase();
        String sub = classCode.length() >= 4 ? classCode.substring(2, 4).toLowerCase() : "";
        return switch (base) {
            case "01" -> "storage";
            case "02" -> "network";
            case "03" -> "gpu";
            case "04" -> "multimedia";
            case "06" -> "bridge";
            case "0c" -> sub.equals("03") ? "usb" : "serial-bus";
            case "12" -> "accelerator";
            default -> "other";
        };
    }
}
