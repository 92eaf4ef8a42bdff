package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * railway.json is deprecated config-as-code that every service built from this repository reads: it may hold
 * only documented fields, and only settings that are right for all of them.
 */
class RailwayConfigFileTest {
    /** The fields Railway's config-as-code reference documents. */
    private static final Map<String, Set<String>> DOCUMENTED = Map.of(
            "build", Set.of("builder", "watchPatterns", "buildCommand", "dockerfilePath", "railpackVersion",
                    "nixpacksConfigPath", "nixpacksPlan", "nixpacksVersion"),
            "deploy", Set.of("startCommand", "preDeployCommand", "multiRegionConfig", "healthcheckPath",
                    "healthcheckTimeout", "restartPolicyType", "restartPolicyMaxRetries", "cronSchedule",
                    "overlapSeconds", "drainingSeconds"));
    /** Settings that differ between the coordinator, the workers and the registrar. */
    private static final Set<String> SERVICE_SPECIFIC = Set.of("dockerfilePath", "watchPatterns", "buildCommand",
            "startCommand", "preDeployCommand", "healthcheckPath", "healthcheckTimeout", "cronSchedule",
            "multiRegionConfig");

    @Test
    void holdsOnlyDocumentedSettingsSharedByEveryService() throws Exception {
        JsonNode config = new ObjectMapper().readTree(ProjectFiles.resolve("railway.json").toFile());
        assertEquals("https://railway.com/railway.schema.json", config.path("$schema").asText());
        for (Iterator<String> sections = config.fieldNames(); sections.hasNext();) {
            String section = sections.next();
            if (section.equals("$schema")) {
                continue;
            }
            assertTrue(DOCUMENTED.containsKey(section), "undocumented or per-environment section: " + section);
            for (Iterator<String> fields = config.get(section).fieldNames(); fields.hasNext();) {
                String field = fields.next();
                assertTrue(DOCUMENTED.get(section).contains(field), section + "." + field + " is not documented");
                assertTrue(!SERVICE_SPECIFIC.contains(field), section + "." + field + " differs between services");
            }
        }
        assertEquals("DOCKERFILE", config.path("build").path("builder").asText());
    }
}
