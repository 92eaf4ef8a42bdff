package org.citusrailway.registrar.reconcile;

import java.util.Locale;
import org.citusrailway.registrar.name.Resolution;

/** Where a candidate worker stands, as /status shows it ({@code candidates[].state}). */
public enum CandidateState {
    /** Its name does not resolve (NXDOMAIN or no address). */
    NOT_FOUND,
    /** No answer to its lookup within DNS_TIMEOUT. */
    DNS_TIMEOUT,
    /** The lookup failed otherwise (SERVFAIL, refused, a malformed answer). */
    DNS_FAILED,
    /** It resolves, but its probe failed: {@code reason} says why. */
    PROBE_FAILED,
    /** Probed healthy, about to be added or activated. */
    READY,
    /** In pg_dist_node. */
    REGISTERED,
    /** Named in citus_registrar.retired_workers: left alone. */
    RETIRED,
    /** Registered, but answers with another Citus server_id than when registered: never activated. */
    REINITIALISED;

    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The state of a name whose lookup ended with this {@link Resolution#problem()}. */
    public static CandidateState ofLookupProblem(String problem) {
        if (problem == null) {
            return NOT_FOUND; // an answer without addresses
        }
        return switch (problem) {
            case Resolution.TIMEOUT -> DNS_TIMEOUT;
            case Resolution.FAILED -> DNS_FAILED;
            default -> NOT_FOUND;
        };
    }
}
