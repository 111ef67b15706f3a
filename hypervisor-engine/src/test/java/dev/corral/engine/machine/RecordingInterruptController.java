package dev.corral.engine.machine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An interrupt controller for tests: remembers every level change, in order, and the current levels. */
public final class RecordingInterruptController implements InterruptController {

    private final List<String> changes = new ArrayList<>();
    private final Map<Integer, Boolean> levels = new HashMap<>();

    @Override
    public synchronized void setLevel(int irq, boolean asserted) {
        changes.add("irq" + irq + (asserted ? " high" : " low"));
        levels.put(irq, asserted);
    }

    public synchronized boolean isHigh(int irq) {
        return levels.getOrDefault(irq, false);
    }

    /** Every change so far, e.g. {@code ["irq4 high", "irq4 low"]}. */
    public synchronized List<String> changes() {
        return List.copyOf(changes);
    }

    public synchronized void clear() {
        changes.clear();
    }
}
