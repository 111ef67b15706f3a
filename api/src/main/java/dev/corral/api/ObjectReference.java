package dev.corral.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Points at an object: {@code {kind: VM, name: web-1, project: default, uid: ...}}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ObjectReference(String kind, String name, String project, String uid) {
}
