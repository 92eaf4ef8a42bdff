package org.citusrailway.registrar.result;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When a registered worker's data is from another point in time than the coordinator's (empty cell: null). */
class RestoreTargetTest {

    @ParameterizedTest(name = "coordinator {0}, worker {1}, known {2} under {3} → {4}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "-  | -  | true  | -  | false",  // nothing was ever restored
            "p1 | p1 | true  | -  | false",  // restored together
            "p1 | p0 | true  | -  | true",   // restored to another point
            "-  | p0 | true  | -  | true",   // restored alone
            "p1 | -  | true  | -  | true",   // known before the coordinator's restore, not restored with it
            "p1 | -  | true  | p0 | true",   // known since an earlier restore, not restored with the latest
            "p1 | -  | true  | p1 | false",  // first seen after the coordinator's restore: a new worker
            "p1 | -  | false | -  | false"}) // never recorded: nothing to hold against it
    void decides(String coordinator, String worker, boolean known, String seenUnder, boolean mismatch) {
        assertEquals(mismatch, RestoreTarget.mismatch(coordinator, worker, known, seenUnder));
    }
}
