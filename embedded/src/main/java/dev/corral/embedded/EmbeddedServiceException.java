package dev.corral.embedded;

/** An embedded service (PostgreSQL, Kafka) could not be started or stopped. The message says which and why. */
public class EmbeddedServiceException extends RuntimeException {
    public EmbeddedServiceException(String message, Throwable cause) {
        super(message, cause);
    }

    public EmbeddedServiceException(String message) {
        super(message);
    }
}
