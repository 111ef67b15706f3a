package dev.corral.engine.usermode;

/** The file is not a static x86-64 ELF executable this loader can run; the message says why. */
public final class ElfFormatException extends Exception {
    public ElfFormatException(String message) {
        super(message);
    }
}
