package dev.corral.engine.boot;

/** The boot package's hand-made images, for tests in other packages. */
public final class BootImagesForKvm {

    private BootImagesForKvm() {
    }

    public static byte[] bzImage() {
        return Images.bzImage(4096);
    }
}
