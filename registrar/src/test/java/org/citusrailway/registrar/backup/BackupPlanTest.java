package org.citusrailway.registrar.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.citusrailway.registrar.config.BackupSchedule;
import org.citusrailway.registrar.name.HostPort;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every decision of the backup schedule, as a table: what the round saw → the backups it takes and the point. */
class BackupPlanTest {
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    private static final BackupSchedule WEEKLY_DAILY_HOURLY = new BackupSchedule(Duration.ofDays(7), Duration.ofDays(1),
            Duration.ofHours(1), Duration.ofMinutes(1), 10);
    private static final BackupSchedule FULL_ONLY_NO_POINTS = new BackupSchedule(Duration.ofDays(7), Duration.ZERO,
            Duration.ZERO, Duration.ofMinutes(1), 10);
    private static final HostPort A = new HostPort("coordinator.railway.internal", 5432);
    private static final HostPort B = new HostPort("worker1.railway.internal", 5432);

    private static Instant ago(Duration d) {
        return NOW.minus(d);
    }

    private static BackupPlan.NodeSeen node(HostPort node, Duration fullAgo, Duration anyAgo) {
        return new BackupPlan.NodeSeen(node, true, fullAgo == null ? null : ago(fullAgo), anyAgo == null ? null
                : ago(anyAgo), null);
    }

    static Stream<Arguments> table() {
        Duration hour = Duration.ofHours(1);
        Duration day = Duration.ofDays(1);
        Duration week = Duration.ofDays(7);
        return Stream.of(
                Arguments.of("no backup yet: a full one, then a point", WEEKLY_DAILY_HOURLY,
                        List.of(node(A, null, null)), null, Map.of(A, "full"), true),
                Arguments.of("full a week old: a new full one", WEEKLY_DAILY_HOURLY,
                        List.of(node(A, week, week)), ago(Duration.ofMinutes(5)), Map.of(A, "full"), true),
                Arguments.of("newest backup a day old: a differential one", WEEKLY_DAILY_HOURLY,
                        List.of(node(A, day.multipliedBy(3), day)), ago(Duration.ofMinutes(5)), Map.of(A, "diff"), true),
                Arguments.of("all fresh, point an hour old: only a point", WEEKLY_DAILY_HOURLY,
                        List.of(node(A, day.multipliedBy(3), hour), node(B, day, hour)), ago(hour), Map.of(), true),
                Arguments.of("all fresh, point recent: nothing", WEEKLY_DAILY_HOURLY,
                        List.of(node(A, day.multipliedBy(3), hour)), ago(Duration.ofMinutes(59)), Map.of(), false),
                Arguments.of("one node due, the other fresh: only that one", WEEKLY_DAILY_HOURLY,
                        List.of(node(A, day, hour), node(B, null, null)), ago(Duration.ofMinutes(1)),
                        Map.of(B, "full"), true),
                Arguments.of("differentials off: nothing between full backups", FULL_ONLY_NO_POINTS,
                        List.of(node(A, day.multipliedBy(6), day.multipliedBy(6))), null, Map.of(), false),
                Arguments.of("points off: still one after backups", FULL_ONLY_NO_POINTS,
                        List.of(node(A, null, null)), null, Map.of(A, "full"), true),
                Arguments.of("no bucket: nothing, not even a point", WEEKLY_DAILY_HOURLY,
                        List.of(new BackupPlan.NodeSeen(A, false, null, null, null)), null, Map.of(), false),
                Arguments.of("buckets but no backup anywhere and none due (retrying): no point", WEEKLY_DAILY_HOURLY,
                        List.of(new BackupPlan.NodeSeen(A, true, null, null, NOW.plusSeconds(60))), null, Map.of(),
                        false),
                Arguments.of("failed recently: not before its retry time", WEEKLY_DAILY_HOURLY,
                        List.of(new BackupPlan.NodeSeen(A, true, ago(week), ago(week), NOW.plusSeconds(1))),
                        ago(Duration.ofMinutes(5)), Map.of(), false),
                Arguments.of("retry time passed: tried again", WEEKLY_DAILY_HOURLY,
                        List.of(new BackupPlan.NodeSeen(A, true, ago(week), ago(week), NOW)),
                        ago(Duration.ofMinutes(5)), Map.of(A, "full"), true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String situation, BackupSchedule schedule, List<BackupPlan.NodeSeen> nodes, Instant newestPoint,
            Map<HostPort, String> backups, boolean restorePoint) {
        BackupPlan.Round plan = BackupPlan.plan(nodes, newestPoint, false, NOW, schedule);
        assertEquals(backups, plan.backups(), situation);
        assertEquals(restorePoint, plan.restorePoint(), situation);
    }
}
