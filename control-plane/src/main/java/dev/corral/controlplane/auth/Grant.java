package dev.corral.controlplane.auth;

/**
 * Who a request comes from and what its token grants: the subject, its role, and the project (member, viewer) or
 * node (node) the role is held in. Carried by the request's SecurityIdentity as the attribute {@link #ATTRIBUTE}.
 */
public record Grant(String tokenId, String subject, String subjectKind, Role role, String project, String node) {

    public static final String ATTRIBUTE = "corral.grant";
    /** On an anonymous identity: why the request's token was refused (unknown, expired, revoked, malformed). */
    public static final String REFUSED = "corral.refused";

    /** What the grant is, for a 403's detail: "viewer of project p1", "node n1", "admin". */
    public String describe() {
        return switch (role) {
            case ADMIN -> "admin";
            case MEMBER, VIEWER -> role.wire() + " of project " + project;
            case NODE -> "node " + node;
        };
    }

    /** Reads the project: member or viewer of it. */
    public boolean sees(String project) {
        return (role == Role.MEMBER || role == Role.VIEWER) && this.project.equals(project);
    }

    /** Changes workloads and images of the project. */
    public boolean memberOf(String project) {
        return role == Role.MEMBER && this.project.equals(project);
    }

    public boolean isNode(String name) {
        return role == Role.NODE && node.equals(name);
    }
}
