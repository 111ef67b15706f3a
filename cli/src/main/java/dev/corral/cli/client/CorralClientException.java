package dev.corral.cli.client;

/** A request to the API server failed; the message is the one line the user sees. */
public class CorralClientException extends RuntimeException {
    public CorralClientException(String message) {
        super(message);
    }

    public CorralClientException(String message, Throwable cause) {
        super(message, cause);
    }
}
