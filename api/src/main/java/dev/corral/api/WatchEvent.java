package dev.corral.api;

/**
 * One change seen by a watch ({@code ?watch=true}), sent as a server-sent event whose {@code event:} is the type,
 * {@code id:} the object's resourceVersion and {@code data:} this record.
 *
 * @param type {@code ADDED}, {@code MODIFIED} or {@code DELETED}
 */
public record WatchEvent<T>(String type, T object) {
}
