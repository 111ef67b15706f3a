package dev.corral.engine.devices.apic;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import dev.corral.engine.devices.apic.ApicMessage.DeliveryMode;
import dev.corral.engine.devices.apic.ApicMessage.Shorthand;

/**
 * The system bus between one VM's APICs (Intel SDM vol. 3A, 10.6.2 and 10.6.3): it carries interrupt messages from
 * a local APIC's ICR (IPIs), from the IOAPIC and from PCI MSI writes to every local APIC the message names, and
 * carries EOI broadcasts from the local APICs back to the IOAPIC.
 *
 * <p>Each local APIC decides for itself whether a destination names it ({@link LocalApic#isDestination}), as on
 * the real bus. Lowest-priority delivery picks one of the named processors: the focus processor (one that already
 * has the vector pending or in service, with focus checking enabled in its SVR) if there is one, else the one with
 * the lowest arbitration priority (APR, SDM 10.8.3.1), ties going round-robin, as a rotating arbitration id would.
 * Only software-enabled local APICs take part: a disabled one drops fixed messages anyway.
 *
 * <p>Thread-safe and lock-free: vCPU threads (IPIs, EOIs) and device threads (the IOAPIC, MSI) deliver concurrently;
 * each local APIC locks only itself. Local APICs attach while the machine is built, before any delivery.
 */
public final class ApicBus {

    private volatile LocalApic[] apics = new LocalApic[0];
    private final List<IntConsumer> eoiListeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger rotation = new AtomicInteger();

    /** Called by the local APIC's constructor; APIC ids are unique on a bus. */
    synchronized void attach(LocalApic apic) {
        for (var other : apics) {
            if (other.id() == apic.id()) {
                throw new IllegalArgumentException("APIC id " + apic.id() + " is already on this bus");
            }
        }
        var grown = Arrays.copyOf(apics, apics.length + 1);
        grown[apics.length] = apic;
        apics = grown;
    }

    /** The local APICs on this bus, in the order they attached. */
    public List<LocalApic> localApics() {
        return List.of(apics);
    }

    /** {@code listener} hears the vector of every broadcast EOI of a level-triggered interrupt (the IOAPIC does). */
    public void addEoiListener(IntConsumer listener) {
        eoiListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Delivers a message from an I/O source (the IOAPIC, an MSI): no sender, so no destination shorthand.
     *
     * @return how many local APICs accepted it (the IOAPIC sets a level entry's remote IRR only if one did)
     */
    public int deliver(ApicMessage message) {
        if (message.shorthand() != Shorthand.NONE) {
            throw new IllegalArgumentException("only a processor's ICR sends with a destination shorthand: " + message);
        }
        return deliver(message, null);
    }

    /**
     * Delivers a PCI MSI/MSI-X write of {@code data} to {@code address} (issue 15's devices call this).
     *
     * @return false if {@code address} is not in the interrupt window, so the write is an ordinary memory write
     */
    public boolean deliverMsi(long address, int data) {
        if (!ApicMessage.isMsiAddress(address)) {
            return false;
        }
        deliver(ApicMessage.fromMsi(address, data));
        return true;
    }

    /** Delivers {@code message} sent by {@code sender}'s ICR (null for I/O sources); returns the acceptances. */
    int deliver(ApicMessage message, LocalApic sender) {
        if (message.mode() == DeliveryMode.RESERVED) {
            return 0;
        }
        var targets = targets(message, sender);
        if (message.mode() == DeliveryMode.LOWEST_PRIORITY) {
            var chosen = lowestPriority(targets, message.vector());
            return chosen != null && chosen.accept(message) ? 1 : 0;
        }
        int accepted = 0;
        for (var apic : targets) {
            if (apic.accept(message)) {
                accepted++;
            }
        }
        return accepted;
    }

    /** Tells the EOI listeners that a level-triggered interrupt with {@code vector} was retired. */
    void broadcastEoi(int vector) {
        for (var listener : eoiListeners) {
            listener.accept(vector);
        }
    }

    private List<LocalApic> targets(ApicMessage message, LocalApic sender) {
        var all = apics;
        var targets = new ArrayList<LocalApic>(all.length);
        for (var apic : all) {
            boolean named = switch (message.shorthand()) {
                case NONE -> apic.isDestination(message);
                case SELF -> apic == sender;
                case ALL_INCLUDING_SELF -> true;
                case ALL_EXCLUDING_SELF -> apic != sender;
            };
            if (named) {
                targets.add(apic);
            }
        }
        return targets;
    }

    private LocalApic lowestPriority(List<LocalApic> targets, int vector) {
        for (var apic : targets) {
            if (apic.isFocusFor(vector)) {
                return apic;
            }
        }
        int n = targets.size();
        if (n == 0) {
            return null;
        }
        int start = Math.floorMod(rotation.getAndIncrement(), n);
        LocalApic chosen = null;
        int lowest = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            var apic = targets.get((start + i) % n);
            int priority = apic.arbitrationPriority();
            if (priority >= 0 && priority < lowest) {
                lowest = priority;
                chosen = apic;
            }
        }
        return chosen;
    }
}
