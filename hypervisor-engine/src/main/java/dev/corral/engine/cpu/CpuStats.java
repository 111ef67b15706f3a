package dev.corral.engine.cpu;

/**
 * What a software vCPU has done so far, by tier: instructions run by the interpreter and by translated code,
 * blocks translated (and how many of them run a class another translation of the same code loaded before) and the
 * nanoseconds spent translating them, the bytecode they hold now, translations dropped because their code was
 * written (self-modifying code, DMA) and evictions of the whole translation cache (its budget spent), and blocks
 * that could not be translated, how many times a translation ran another one directly from its exit (chained,
 * without the dispatcher), and how many times a spin-wait loop's PAUSEs gave the vCPU's host thread up.
 */
public record CpuStats(long interpreted, long translated, long blocksTranslated, long translationsReused,
        long translationNanos, long codeBytes, long invalidations, long evictions, long translationFailures, long chained,
        long pauseYields) {

    public static final CpuStats NONE = new CpuStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public CpuStats plus(CpuStats o) {
        return new CpuStats(interpreted + o.interpreted, translated + o.translated, blocksTranslated + o.blocksTranslated,
                translationsReused + o.translationsReused, translationNanos + o.translationNanos, codeBytes + o.codeBytes,
                invalidations + o.invalidations, evictions + o.evictions, translationFailures + o.translationFailures,
                chained + o.chained, pauseYields + o.pauseYields);
    }

    @Override
    public String toString() {
        long all = interpreted + translated;
        return String.format("instructions %d (interpreted %d, translated %d = %.1f%%), blocks translated %d (%d with a"
                + " shared class) in %.1f ms, translated code %d KiB, invalidated %d, cache evictions %d, untranslatable %d,"
                + " chained %d, spin-wait yields %d",
                all, interpreted, translated, all == 0 ? 0.0 : 100.0 * translated / all, blocksTranslated, translationsReused,
                translationNanos / 1e6, codeBytes >> 10, invalidations, evictions, translationFailures, chained, pauseYields);
    }
}
