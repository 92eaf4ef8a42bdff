package org.citusrailway.registrar.config;

/**
 * Who keeps pg_dist_node's rows: the registrar (the default template: it discovers workers by name and adds, activates
 * and disables them) or Patroni (the high-availability variant: its Citus mode registers each group's primary and
 * standby and moves them on failover, so the registrar writes no row and only reads them).
 */
public enum Membership {
    REGISTRAR,
    PATRONI
}
