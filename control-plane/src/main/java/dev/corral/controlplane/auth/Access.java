package dev.corral.controlplane.auth;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Who may call an endpoint: an admin always, and whoever one of {@link #value()} lets in. {@link AccessFilter} checks
 * it before the endpoint runs; an endpoint without it is refused to everyone (403), admins included, so that a new
 * endpoint without a rule fails closed (and AuthorizationMatrixIT fails).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Access {

    Allow[] value();

    /**
     * One way into an endpoint besides being admin. "The request's project" is its {@code project} query parameter,
     * {@code default} when absent; {@code allProjects=true} is for admins only.
     */
    enum Allow {
        /** Admins only. */
        ADMIN,
        /** Any valid token. */
        ANY,
        /** Any token of a person or service account (member or viewer of some project), not a node's. */
        PEOPLE,
        /** A member or viewer of the request's project. */
        PROJECT_VIEWER,
        /** A member of the request's project. */
        PROJECT_MEMBER,
        /** A member or viewer of the project the query's {@code project} names; without it (all projects), admins only. */
        QUERY_PROJECT_VIEWER,
        /** A member or viewer of the project the path's {@code name} names. */
        NAMED_PROJECT_VIEWER,
        /** A member of any project. */
        ANY_MEMBER,
        /** The node the path's {@code name} names. */
        OWN_NODE,
        /** A node with a workload assigned whose image uses the blob the path's {@code sha256} names. */
        ASSIGNED_BLOB,
        /** A node with a workload of the request's project assigned whose image the path's {@code name} names. */
        ASSIGNED_IMAGE
    }
}
