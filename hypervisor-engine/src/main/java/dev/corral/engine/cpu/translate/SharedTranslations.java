package dev.corral.engine.cpu.translate;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.corral.engine.cpu.interp.CompiledBlock;

/**
 * The translated classes of every vCPU in this JVM, shared: a region whose generated class file is byte for byte
 * one already loaded runs that class (a new instance bound to the vCPU's own blocks) instead of loading another. The
 * second VM that boots a kernel, every vCPU of an SMP guest after the first, and each process of a user-mode run
 * after the first that runs the same binary thus start with code HotSpot has already compiled, instead of loading
 * and compiling it again (on two cores, the JIT compiling a boot's thousands of classes takes as much CPU as the
 * guest itself).
 *
 * <p>The key is the class file itself: everything a translation does is in its bytecode (addresses, immediates,
 * which instructions fall back to the interpreter and their numbering), and everything it reads at run time
 * comes from its instance (its vCPU's instructions and blocks) or its arguments. Equal bytes, equal behaviour: no
 * key can be too coarse.
 *
 * <p>Bounded: the class files held may sum to {@code corral.cpu.sharedTranslationBudget} bytes (default 64 MiB);
 * past it the least recently used are let go. A class let go here stays loaded while a vCPU still runs an instance
 * of it and is unloaded with its last instance; only an unbound prototype is kept, never a vCPU's blocks.
 */
public final class SharedTranslations {

    private static final long DEFAULT_BUDGET = Long.getLong("corral.cpu.sharedTranslationBudget", 64L << 20);

    private record Key(byte[] classFile, int hash) {
        Key(byte[] classFile) {
            this(classFile, Arrays.hashCode(classFile));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(k.classFile, classFile);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Unbound prototypes by class file, least recently used first. */
    private static final LinkedHashMap<Key, CompiledBlock> CLASSES = new LinkedHashMap<>(1024, 0.75f, true);
    private static long bytes;
    private static long budget = DEFAULT_BUDGET;

    private SharedTranslations() {
    }

    /** A new, unbound instance of the class loaded from exactly {@code classFile}, or null when none is held. */
    static synchronized CompiledBlock reuse(byte[] classFile) {
        CompiledBlock prototype = CLASSES.get(new Key(classFile));
        return prototype == null ? null : prototype.another();
    }

    /** Holds {@code prototype}, an unbound instance of the class just loaded from {@code classFile}. */
    static synchronized void hold(byte[] classFile, CompiledBlock prototype) {
        if (CLASSES.putIfAbsent(new Key(classFile), prototype) == null) {
            bytes += classFile.length;
            trim();
        }
    }

    private static void trim() {
        Iterator<Map.Entry<Key, CompiledBlock>> eldest = CLASSES.entrySet().iterator();
        while (bytes > budget && eldest.hasNext()) {
            bytes -= eldest.next().getKey().classFile.length;
            eldest.remove();
        }
    }

    /** Class-file bytes held now. */
    public static synchronized long bytesHeld() {
        return bytes;
    }

    /** Classes held now. */
    public static synchronized int classesHeld() {
        return CLASSES.size();
    }

    /**
     * Sets the budget (bytes of class files held), letting go of the least recently used classes past it; 0 holds
     * none, so every translation loads a class of its own. Returns the previous budget.
     */
    public static synchronized long budget(long newBudget) {
        if (newBudget < 0) {
            throw new IllegalArgumentException("a budget of " + newBudget + " bytes");
        }
        long previous = budget;
        budget = newBudget;
        trim();
        return previous;
    }
}
