package dev.corral.controlplane.usage;

/** One record read from the lifecycle topic; {@code value} is its JSON as Kafka delivered it (UTF-8). */
public record Delivery(String topic, int partition, long offset, byte[] value) {
}
