package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The local cluster definition: valid Compose, buildable from this repository, same names as on Railway. */
class ComposeFileTest {
    private static Map<String, Object> compose;
    private static Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() {
        compose = new Yaml().load(ProjectFiles.read("docker-compose.yml"));
        services = (Map<String, Map<String, Object>>) compose.get("services");
    }

    @Test
    void validatesAgainstTheOfficialComposeSchema() throws Exception {
        Path schemaFile = ProjectFiles.shared("schemas/compose-spec.json");
        Assumptions.assumeTrue(Files.exists(schemaFile),
                "the Compose schema is not beside the repository at " + schemaFile);
        ObjectMapper mapper = new ObjectMapper();
        // Loaded from its file URI so that the schema's relative $id resolves.
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(schemaFile.toUri());
        JsonNode document = mapper.valueToTree(compose);
        Set<ValidationMessage> errors = schema.validate(document);
        assertTrue(errors.isEmpty(), "docker-compose.yml breaks the Compose schema: " + errors);

        // The same check rejects a misspelt key, so a pass above means something.
        ((com.fasterxml.jackson.databind.node.ObjectNode) document.path("services").path("coordinator"))
                .put("healthchek", "typo");
        assertTrue(!schema.validate(document).isEmpty(), "the schema check accepted an unknown service key");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theHighAvailabilityFileValidatesAndGivesEveryMemberItsNameAndVolume() throws Exception {
        Path schemaFile = ProjectFiles.shared("schemas/compose-spec.json");
        Assumptions.assumeTrue(Files.exists(schemaFile),
                "the Compose schema is not beside the repository at " + schemaFile);
        Map<String, Object> ha = new Yaml().load(ProjectFiles.read("docker-compose.ha.yml"));
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(schemaFile.toUri());
        Set<ValidationMessage> errors = schema.validate(new ObjectMapper().valueToTree(ha));
        assertTrue(errors.isEmpty(), "docker-compose.ha.yml breaks the Compose schema: " + errors);
        Map<String, Map<String, Object>> haServices = (Map<String, Map<String, Object>>) ha.get("services");
        Set<String> volumes = new TreeSet<>();
        haServices.forEach((name, service) -> {
            if (service.get("networks") instanceof Map<?, ?> networks && networks.get("citus") instanceof Map<?, ?> citus) {
                assertEquals(List.of(name + ".railway.internal"), citus.get("aliases"), name + " answers to its name");
            }
            for (Object volume : (List<Object>) service.getOrDefault("volumes", List.of())) {
                assertTrue(volumes.add(volume.toString().split(":")[0]), name + " has a volume of its own");
                assertTrue(volume.toString().startsWith(name + "-data:"), name + "'s volume is named after it");
            }
            for (Object port : (List<Object>) service.getOrDefault("ports", List.of())) {
                assertTrue(port.toString().startsWith("127.0.0.1:"), name + " is published on loopback only");
            }
        });
        assertEquals(11, volumes.size(), "three etcd members and eight PostgreSQL members (worker3's pair behind its"
                + " profile) keep volumes: " + volumes);
    }

    @Test
    void buildsEveryImageFromThisRepository() {
        Set<String> built = new TreeSet<>();
        services.forEach((name, service) -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> build = (Map<String, Object>) service.get("build");
            if (build == null) {
                return;
            }
            Path context = ProjectFiles.root().resolve((String) build.get("context")).normalize();
            assertTrue(Files.isDirectory(context), name + ": build context " + context + " does not exist");
            Path dockerfile = context.resolve((String) build.getOrDefault("dockerfile", "Dockerfile"));
            assertTrue(Files.isRegularFile(dockerfile), name + ": Dockerfile " + dockerfile + " does not exist");
            built.add(name);
        });
        assertEquals(Set.of("coordinator", "pooler", "registrar", "worker1", "worker2", "worker3"), built);
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyNodeAnswersToItsRailwayNameAndKeepsItsOwnVolume() {
        Set<String> volumes = new TreeSet<>();
        for (String node : List.of("coordinator", "worker1", "worker2", "worker3")) {
            Map<String, Object> service = services.get(node);
            Map<String, Object> networks = (Map<String, Object>) service.get("networks");
            Map<String, Object> network = (Map<String, Object>) networks.values().iterator().next();
            assertEquals(List.of(node + ".railway.internal"), network.get("aliases"), node);
            List<String> mounts = (List<String>) service.get("volumes");
            assertEquals(1, mounts.size(), node);
            assertTrue(mounts.get(0).endsWith(":/var/lib/postgresql/data"), node + " mounts " + mounts);
            volumes.add(mounts.get(0).split(":")[0]);
            Map<String, Object> environment = (Map<String, Object>) service.get("environment");
            assertEquals("/var/lib/postgresql/data/pgdata", environment.get("PGDATA"), node);
        }
        assertEquals(4, volumes.size(), "each node needs a volume of its own: " + volumes);
    }

    @Test
    @SuppressWarnings("unchecked")
    void onlyLoopbackSeesThePublishedPortsAndThePasswordComesFromDotEnv() {
        services.forEach((name, service) -> {
            for (Object port : (List<Object>) service.getOrDefault("ports", List.of())) {
                assertTrue(port.toString().startsWith("127.0.0.1:"), name + " publishes " + port + " beyond loopback");
            }
            Map<String, Object> environment = (Map<String, Object>) service.getOrDefault("environment", Map.of());
            Object password = environment.get("POSTGRES_PASSWORD");
            if (password != null) {
                assertTrue(password.toString().startsWith("${POSTGRES_PASSWORD:?"), name + " hard-codes a password");
            }
        });
        assertTrue(Files.exists(ProjectFiles.resolve(".env.example")), ".env.example must be committed");
        assertTrue(ProjectFiles.read(".gitignore").lines().anyMatch(".env"::equals), ".env must be ignored by git");
    }

    @Test
    @SuppressWarnings("unchecked")
    void workerThreeWaitsForItsProfileLikeADuplicatedService() {
        assertEquals(List.of("worker3"), services.get("worker3").get("profiles"));
        services.forEach((name, service) -> {
            if (!name.equals("worker3")) {
                assertEquals(null, service.get("profiles"), name + " must start with a plain `docker compose up`");
            }
        });
    }
}
