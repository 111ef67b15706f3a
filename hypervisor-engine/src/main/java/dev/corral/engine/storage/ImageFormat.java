package dev.corral.engine.storage;

import java.nio.file.Path;

/** The disk image formats Corral reads and writes, named as qemu-img names them. */
public enum ImageFormat {
    RAW("raw"),
    QCOW2("qcow2");

    private final String qemuName;

    ImageFormat(String qemuName) {
        this.qemuName = qemuName;
    }

    /** The name qemu-img and the qcow2 backing-format header extension use: {@code raw} or {@code qcow2}. */
    public String qemuName() {
        return qemuName;
    }

    /** The format named {@code name} ({@code raw} or {@code qcow2}). */
    public static ImageFormat parse(String name) throws StorageException {
        for (ImageFormat format : values()) {
            if (format.qemuName.equals(name)) {
                return format;
            }
        }
        throw new StorageException("unsupported image format '" + name + "': Corral reads raw and qcow2");
    }

    /**
     * Opens the image at {@code path} in this format. The format is always given, never guessed from the content:
     * a raw disk whose guest wrote a qcow2 header there must stay a raw disk.
     *
     * @param backing how a qcow2 image's backing file is found (ignored for raw)
     */
    public BlockImage open(Path path, boolean readOnly, Backing backing) throws StorageException {
        return switch (this) {
            case RAW -> RawImage.open(path, readOnly);
            case QCOW2 -> Qcow2Image.open(path, readOnly, backing);
        };
    }
}
