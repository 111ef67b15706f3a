package dev.corral.controlplane.store;

/** The database failed underneath a request: a 500, logged with its cause. */
public class StoreException extends RuntimeException {
    public StoreException(String what, Throwable cause) {
        super("Database error while " + what + ": " + cause.getMessage(), cause);
    }
}
