package dev.corral.controlplane.usage;

/**
 * Another meter (a replica that still held a partition during a rebalance, or another consumer group) wrote a
 * workload's state after this batch read it: the batch rolls back and is read again from the stored position, where
 * it finds the other meter's state and counts nothing twice.
 */
final class ConcurrentMeterException extends RuntimeException {
    ConcurrentMeterException(String message) {
        super(message);
    }
}
