package dev.corral.controlplane.usage;

/** One record read from the lifecycle topic. */
public record Delivery(String topic, int partition, long offset, String value) {
}
