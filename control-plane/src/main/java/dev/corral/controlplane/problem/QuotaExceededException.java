package dev.corral.controlplane.problem;

/**
 * A create (or a reshape) would take the project past one of its quotas (403, as Nova and Kubernetes answer): the
 * detail names the quota, what is in use, what was requested and the limit. Nothing of the request is stored.
 */
public class QuotaExceededException extends CorralException {
    public QuotaExceededException(String detail) {
        super(detail);
    }

    @Override public int status() { return 403; }
    @Override public String kind() { return "quota-exceeded"; }
    @Override public String title() { return "Quota Exceeded"; }
}
