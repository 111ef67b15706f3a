package dev.corral.engine.cpu.translate;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.corral.engine.cpu.interp.Block;
import dev.corral.engine.cpu.interp.BlockCache;
import dev.corral.engine.cpu.interp.CompiledBlock;

/**
 * One vCPU's translations: made by the translator threads the JVM's vCPUs share while the vCPU goes on
 * interpreting the block (or on the vCPU's own thread, when the policy says so), counted, and kept under the
 * policy's bytecode budget. A translation made in the background is published through {@link Block#compiled}
 * (volatile); one that finishes after its block was dropped is simply never run.
 */
public final class Translations {

    /** Translator threads: half the cores, at least one; daemons, so they never keep a JVM alive. */
    private static final ThreadPoolExecutor POOL;

    static {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        AtomicInteger n = new AtomicInteger();
        POOL = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(4096), r -> {
            Thread t = new Thread(r, "corral-translator-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        POOL.allowCoreThreadTimeOut(true);
    }

    private final LongAdder blocks = new LongAdder();
    private final LongAdder reused = new LongAdder();
    private final LongAdder nanos = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final AtomicLong codeBytes = new AtomicLong();
    private volatile boolean overBudget;
    private long evictions;
    private final boolean chaining;

    /**
     * {@code chaining}: whether its translations run one another from their exits (chained) or always return to the
     * dispatcher.
     */
    public Translations(boolean chaining) {
        this.chaining = chaining;
    }

    /**
     * {@code b} got hot: its translation now (strict or foreground policies; a failure is thrown when strict), or
     * null while the translator threads make it.
     */
    public CompiledBlock hot(Block[] region, TranslationPolicy policy) {
        Block b = region[0];
        if (policy.background() && !policy.strict()) {
            try {
                POOL.execute(() -> translate(region, policy));
            } catch (RejectedExecutionException e) {
                b.heat = 0; // the queue is full: try again when the block is hot again
            }
            return null;
        }
        return translate(region, policy);
    }

    private CompiledBlock translate(Block[] region, TranslationPolicy policy) {
        Block b = region[0];
        if (!b.valid) {
            return null;
        }
        long start = System.nanoTime();
        CompiledBlock t;
        try {
            t = Translator.translate(region, chaining);
        } catch (RuntimeException | LinkageError e) {
            if (policy.strict()) {
                throw e;
            }
            failures.increment();
            b.heat = Integer.MIN_VALUE; // interpreted from now on
            return null;
        }
        nanos.add(System.nanoTime() - start);
        blocks.increment();
        if (t.reused) {
            reused.increment();
        }
        if (codeBytes.addAndGet(t.codeBytes) > policy.budgetBytes()) {
            overBudget = true;
        }
        b.compiled = t;
        return t;
    }

    /** On the vCPU's thread, between blocks: past the budget, every translation is dropped (and made again when hot). */
    public void evictIfOverBudget(BlockCache cache) {
        if (overBudget) {
            overBudget = false;
            cache.dropTranslations();
            codeBytes.set(0);
            evictions++;
        }
    }

    /** Blocks translated so far. */
    public long blocksTranslated() {
        return blocks.sum();
    }

    /** Translations that run a class loaded before ({@link SharedTranslations}) rather than one of their own. */
    public long translationsReused() {
        return reused.sum();
    }

    /** Time spent translating, in nanoseconds. */
    public long translationNanos() {
        return nanos.sum();
    }

    /** Bytecode held by the translations (what the budget counts). */
    public long codeBytes() {
        return codeBytes.get();
    }

    /** Times every translation was dropped for the budget. */
    public long evictions() {
        return evictions;
    }

    /** Blocks that could not be translated. */
    public long failures() {
        return failures.sum();
    }
}
