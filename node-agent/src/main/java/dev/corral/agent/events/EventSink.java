package dev.corral.agent.events;

/** Where lifecycle events go once made: the durable journal that the publisher drains to Kafka. */
@FunctionalInterface
public interface EventSink {

    /** Keeps the event durably (it is sent later, in order) or throws. */
    void publish(String key, String value);
}
