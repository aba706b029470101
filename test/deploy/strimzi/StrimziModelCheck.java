// Reads Strimzi custom resources (a JSON array of resources, from a rendered kustomization) into
// Strimzi's own Java model (io.strimzi:api, the classes the operator deserializes them into) and
// fails on what that model refuses: a wrong type or shape, a field the model does not know (which
// Strimzi would keep in additionalProperties and ignore), or a value it does not keep, such as an
// unknown enum value (a node role, a storage or listener type), which it reads as null: every
// value of the input must come back when the model is written out again. Prints one line per
// resource; exits 1 if any is refused.
//
//   java -cp "$(cat .cache/deploy-tools/strimzi.classpath)" test/deploy/strimzi/StrimziModelCheck.java FILE.json
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strimzi.api.kafka.model.common.UnknownPropertyPreserving;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

public class StrimziModelCheck {
  static final Map<String, Class<?>> KINDS =
      Map.of("Kafka", Kafka.class, "KafkaNodePool", KafkaNodePool.class, "KafkaTopic", KafkaTopic.class);

  public static void main(String[] args) throws Exception {
    ObjectMapper mapper =
        new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    boolean failed = false;
    for (JsonNode doc : mapper.readTree(new File(args[0]))) {
      String apiVersion = doc.path("apiVersion").asText();
      if (!apiVersion.startsWith("kafka.strimzi.io/")) continue;
      String kind = doc.path("kind").asText();
      String name = kind + "/" + doc.path("metadata").path("name").asText();
      Class<?> type = KINDS.get(kind);
      if (type == null) {
        System.out.println("REFUSED " + name + ": no model for kind " + kind);
        failed = true;
        continue;
      }
      try {
        Object resource = mapper.treeToValue(doc, type);
        List<String> unknown = new ArrayList<>();
        unknownFields(resource, "", unknown, new IdentityHashMap<>());
        lost(doc, mapper.valueToTree(resource), "", unknown);
        if (!unknown.isEmpty()) {
          System.out.println("REFUSED " + name + ": unknown or lost " + unknown);
          failed = true;
        } else {
          System.out.println("ACCEPTED " + name);
        }
      } catch (Exception e) {
        System.out.println("REFUSED " + name + ": " + e.getMessage().split("\n")[0]);
        failed = true;
      }
    }
    System.exit(failed ? 1 : 0);
  }

  /** Paths of the input's values that the model, written out again, does not give back. */
  static void lost(JsonNode in, JsonNode out, String path, List<String> paths) {
    if (in.isObject()) {
      in.fieldNames().forEachRemaining(k -> lost(in.get(k), out == null ? null : out.get(k), path + "." + k, paths));
    } else if (in.isArray()) {
      for (int i = 0; i < in.size(); i++) lost(in.get(i), out == null ? null : out.get(i), path + "[" + i + "]", paths);
    } else if (out == null && (in.asText().equals("false") || in.asText().equals("0"))) {
      // A default value the model leaves out when it writes (deleteClaim: false).
    } else if (out == null || !in.asText().equals(out.asText())) {
      paths.add(path + "=" + in + (out == null ? "" : " read as " + out));
    }
  }

  /** Paths of the properties the model kept aside as unknown, anywhere in the object graph. */
  static void unknownFields(Object o, String path, List<String> out, Map<Object, Boolean> seen)
      throws IllegalAccessException {
    if (o == null || seen.containsKey(o)) return;
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) unknownFields(e, path + "[" + i++ + "]", out, seen);
      return;
    }
    if (!o.getClass().getName().startsWith("io.strimzi.")) return;
    seen.put(o, true);
    if (o instanceof UnknownPropertyPreserving u && u.getAdditionalProperties() != null)
      for (String k : u.getAdditionalProperties().keySet()) out.add(path + "." + k);
    for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || f.getName().equals("additionalProperties")) continue;
        if (!f.trySetAccessible()) continue;
        unknownFields(f.get(o), path + "." + f.getName(), out, seen);
      }
    }
  }
}
