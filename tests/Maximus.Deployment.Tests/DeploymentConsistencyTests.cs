using System.Text.Json.Nodes;
using Maximus.Contracts;

namespace Maximus.Deployment.Tests;

/// <summary>
/// The manifests under k8s/ and edge/ agree with dapr.yaml and Maximus.Contracts (app ids, ports, component
/// names), carry what running them safely needs (probes, resources, non-root), and the Kubernetes access control
/// opens exactly the intended call graph.
/// </summary>
public sealed class DeploymentConsistencyTests
{
    private static readonly Lazy<IReadOnlyList<Manifest>> LazyAll = new(Manifest.LoadAll);

    private static IReadOnlyList<Manifest> All => LazyAll.Value;

    private static IEnumerable<Manifest> Under(params string[] folders) =>
        All.Where(m => folders.Any(f => m.File.StartsWith(f + "/", StringComparison.Ordinal)));

    private static IEnumerable<Manifest> DaprWorkloads => Under("k8s", "edge").Where(m => Pods.IsWorkload(m) && Pods.IsDaprEnabled(m));

    public static TheoryData<string> Roles() => [.. Repository.Roles];

    [Theory]
    [MemberData(nameof(Roles))]
    public void Every_role_has_a_deployment_service_account_service_disruption_budget_and_autoscaler_in_the_base(string role)
    {
        var file = Manifest.Load($"k8s/base/{role}.yaml");

        Assert.Equal(
            ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service", "ServiceAccount"],
            file.Where(m => m.Name == role).Select(m => m.Kind!).Order(StringComparer.Ordinal));
        var deployment = file.Single(m => m.Kind == "Deployment");
        Assert.Equal(role, deployment.Node["spec"]?["template"]?["spec"]?["serviceAccountName"].AsText());
        var hpa = file.Single(m => m.Kind == "HorizontalPodAutoscaler");
        Assert.Equal("Deployment", hpa.Node["spec"]?["scaleTargetRef"]?["kind"].AsText());
        Assert.Equal(role, hpa.Node["spec"]?["scaleTargetRef"]?["name"].AsText());
        Assert.Null(deployment.Node["spec"]?["replicas"]);
        Assert.Contains(Repository.ManifestFiles(), f => f == $"k8s/base/{role}.yaml");
        Assert.Contains($"{role}.yaml", File.ReadAllText(Repository.PathOf("k8s/base/kustomization.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public void Dapr_apps_in_k8s_and_edge_use_the_app_ids_and_ports_of_dapr_yaml()
    {
        var workloads = DaprWorkloads.ToList();

        Assert.Equal(
            Repository.Roles.Order(StringComparer.Ordinal),
            workloads.Where(m => m.File.StartsWith("k8s/base/", StringComparison.Ordinal)).Select(m => Pods.Annotation(m, "dapr.io/app-id")).Order(StringComparer.Ordinal));
        Assert.Contains(workloads, m => m.File.StartsWith("edge/", StringComparison.Ordinal));
        Assert.Contains(workloads, m => m.File.StartsWith("k8s/knative/", StringComparison.Ordinal));
        foreach (var workload in workloads)
        {
            var appId = Pods.Annotation(workload, "dapr.io/app-id");
            Assert.True(appId is not null && Repository.Roles.Contains(appId), $"{workload}: app id '{appId}' is not in Maximus.Contracts.AppIds");
            var port = DaprRunFile.AppPorts[appId];
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), Pods.Annotation(workload, "dapr.io/app-port"));

            var container = Assert.Single(Pods.Containers(workload));
            var args = Pods.Args(container);
            Assert.Equal(appId, Pods.ArgumentAfter(args, "--role"));
            Assert.Equal("dapr", Pods.ArgumentAfter(args, "--runtime"));
            Assert.EndsWith($":{port}", Pods.ArgumentAfter(args, "--urls"), StringComparison.Ordinal);
            Assert.Equal(port, Assert.Single(container["ports"] as JsonArray ?? [])?["containerPort"]?.GetValue<long>());
        }
    }

    [Fact]
    public void Dapr_apps_use_the_contract_configuration_json_logs_and_bounded_sidecars()
    {
        foreach (var workload in DaprWorkloads)
        {
            Assert.Equal(Components.Configuration, Pods.Annotation(workload, "dapr.io/config"));
            Assert.Equal("true", Pods.Annotation(workload, "dapr.io/log-as-json"));
            Assert.Equal("http", Pods.Annotation(workload, "dapr.io/app-protocol"));
            Assert.Equal("/health/live", Pods.Annotation(workload, "dapr.io/app-health-check-path"));
            foreach (var resource in new[] { "cpu-request", "cpu-limit", "memory-request", "memory-limit" })
            {
                Assert.False(string.IsNullOrEmpty(Pods.Annotation(workload, $"dapr.io/sidecar-{resource}")), $"{workload}: dapr.io/sidecar-{resource}");
            }
        }
    }

    [Fact]
    public void Dapr_apps_are_probed_on_the_health_endpoints()
    {
        foreach (var workload in DaprWorkloads)
        {
            var container = Assert.Single(Pods.Containers(workload));
            Assert.Equal("/health/live", container["livenessProbe"]?["httpGet"]?["path"].AsText());
            Assert.Equal("/health/ready", container["readinessProbe"]?["httpGet"]?["path"].AsText());
        }
    }

    [Fact]
    public void Every_container_has_requests_and_limits_and_no_privilege_escalation()
    {
        var workloads = Under("k8s", "edge").Where(Pods.IsWorkload).ToList();

        Assert.NotEmpty(workloads);
        foreach (var workload in workloads)
        {
            foreach (var container in Pods.Containers(workload).Concat(Pods.InitContainers(workload)))
            {
                var name = $"{workload} container {container["name"]}";
                foreach (var bound in new[] { "requests", "limits" })
                {
                    Assert.NotNull(container["resources"]?[bound]?["cpu"]);
                    Assert.True(container["resources"]?[bound]?["memory"] is not null, $"{name}: resources.{bound}.memory");
                }

                Assert.False(container["securityContext"]?["allowPrivilegeEscalation"]?.GetValue<bool>() ?? true, $"{name}: allowPrivilegeEscalation");
                Assert.Contains("ALL", (container["securityContext"]?["capabilities"]?["drop"] as JsonArray ?? []).Select(c => c.AsText()));
            }
        }
    }

    [Fact]
    public void Application_containers_run_as_non_root()
    {
        foreach (var workload in Under("k8s", "edge").Where(Pods.IsWorkload))
        {
            var podNonRoot = Pods.Template(workload)?["spec"]?["securityContext"]?["runAsNonRoot"]?.GetValue<bool>() == true;
            foreach (var container in Pods.Containers(workload))
            {
                var nonRoot = container["securityContext"]?["runAsNonRoot"]?.GetValue<bool>() ?? podNonRoot;
                Assert.True(nonRoot, $"{workload} container {container["name"]} may run as root");
                Assert.NotEqual(0L, container["securityContext"]?["runAsUser"]?.GetValue<long>() ?? -1);
            }
        }
    }

    [Fact]
    public void The_only_root_init_container_prepares_the_edge_state_folder_with_chown_alone()
    {
        var roots = Under("k8s", "edge").Where(Pods.IsWorkload)
            .SelectMany(w => Pods.InitContainers(w).Select(c => (Workload: w, Container: c)))
            .Where(x => x.Container["securityContext"]?["runAsUser"]?.GetValue<long>() == 0)
            .ToList();

        var (workload, container) = Assert.Single(roots);
        Assert.StartsWith("edge/", workload.File, StringComparison.Ordinal);
        Assert.Equal(["CHOWN", "FOWNER"], (container["securityContext"]?["capabilities"]?["add"] as JsonArray ?? []).Select(c => c.AsText()).Order(StringComparer.Ordinal));
        Assert.True(container["securityContext"]?["readOnlyRootFilesystem"]?.GetValue<bool>());
    }

    [Fact]
    public void Autoscalers_scale_each_role_between_two_and_ten_replicas_on_its_own_cpu()
    {
        var autoscalers = Under("k8s/base").Where(m => m.Kind == "HorizontalPodAutoscaler").ToList();

        Assert.Equal(Repository.Roles.Order(StringComparer.Ordinal), autoscalers.Select(m => m.Name).Order(StringComparer.Ordinal));
        foreach (var hpa in autoscalers)
        {
            Assert.Equal(2L, hpa.Node["spec"]?["minReplicas"]?.GetValue<long>());
            Assert.Equal(10L, hpa.Node["spec"]?["maxReplicas"]?.GetValue<long>());
            var metric = Assert.Single(hpa.Node["spec"]?["metrics"] as JsonArray ?? []);
            Assert.Equal(hpa.Name, metric?["containerResource"]?["container"].AsText());
        }
    }

    [Fact]
    public void Disruption_budgets_and_services_select_the_pods_of_their_deployment()
    {
        var deployments = Under("k8s/base").Where(m => m.Kind == "Deployment").ToDictionary(m => m.Name!, StringComparer.Ordinal);
        foreach (var selecting in Under("k8s/base").Where(m => m.Kind is "PodDisruptionBudget" or "Service" && deployments.ContainsKey(m.Name!)))
        {
            var labels = deployments[selecting.Name!].Node["spec"]?["template"]?["metadata"]?["labels"] as JsonObject ?? [];
            var selector = (selecting.Kind == "Service" ? selecting.Node["spec"]?["selector"] : selecting.Node["spec"]?["selector"]?["matchLabels"]) as JsonObject ?? [];
            Assert.NotEmpty(selector);
            Assert.All(selector, s => Assert.Equal(s.Value.AsText(), labels[s.Key].AsText()));
        }
    }

    [Fact]
    public void Ingress_is_denied_by_default_in_the_base()
    {
        var deny = Assert.Single(Under("k8s/base"), m => m.Kind == "NetworkPolicy" && m.Name == "maximus-default-deny-ingress");

        Assert.Empty(deny.Node["spec"]?["podSelector"] as JsonObject ?? [new KeyValuePair<string, JsonNode?>("x", null)]);
        Assert.Equal(["Ingress"], (deny.Node["spec"]?["policyTypes"] as JsonArray ?? []).Select(p => p.AsText()));
        Assert.Null(deny.Node["spec"]?["ingress"]);
    }

    [Fact]
    public void Qdrant_is_a_stateful_set_with_persistent_volumes()
    {
        var qdrant = Assert.Single(Under("k8s/base"), m => m.Kind == "StatefulSet" && m.Name == "qdrant");

        var claims = (qdrant.Node["spec"]?["volumeClaimTemplates"] as JsonArray ?? []).Select(c => c?["metadata"]?["name"].AsText()).ToList();
        Assert.Contains("storage", claims);
        var mounts = Pods.Containers(qdrant).Single()["volumeMounts"] as JsonArray ?? [];
        Assert.Contains(mounts, m => m?["name"].AsText() == "storage" && m?["mountPath"].AsText() == "/qdrant/storage");
        Assert.Equal("qdrant-headless", qdrant.Node["spec"]?["serviceName"].AsText());
    }

    /// <summary>
    /// The intended call graph on Kubernetes: for each caller (app id, namespace), the operations it may invoke.
    /// Every operation path belongs to one callee's API, so the table is also "who may call each app".
    /// </summary>
    private static readonly Dictionary<(string Caller, string Namespace), string[]> IntendedCalls = new()
    {
        [(AppIds.Orchestrator, "maximus")] =
        [
            "POST /v1/plans", "POST /v1/steps", "GET,POST /v1/reflections", "GET,POST /v1/memory/*/episodic", "GET,POST /v1/memory/*/procedural",
            "GET,POST /v1/memory/*/semantic", "GET /v1/memory/*/core", "GET /v1/memory/*/resource", "GET /plugin/manifest", "GET /plugin/state",
        ],
        [(AppIds.Executor, "maximus")] = ["POST /plugin/actions/*", "GET,POST /v1/reflections"],
        [(AppIds.Reflector, "maximus")] = ["POST /v1/memory/*/episodic", "POST /v1/memory/*/procedural", "POST /v1/memory/*/semantic"],
        [(AppIds.Planner, "maximus")] = ["GET /v1/memory/*/episodic", "GET /v1/memory/*/procedural", "GET /v1/memory/*/semantic", "GET /v1/memory/*/core"],
        [(AppIds.Planner, "maximus-edge")] = ["POST /v1/plans"],
        [(Repository.CliAppId, "maximus")] = ["GET,POST /v1/missions", "* /v1/memory", "GET,POST /v1/environments", "GET,POST /plugin"],
    };

    /// <summary>Which app serves an operation path: the APIs have distinct prefixes (plugins share the plugin contract).</summary>
    private static readonly (string Prefix, string Callee)[] Callees =
    [
        ("/v1/plans", AppIds.Planner), ("/v1/steps", AppIds.Executor), ("/v1/reflections", AppIds.Reflector), ("/v1/memory", AppIds.Memory),
        ("/v1/missions", AppIds.Orchestrator), ("/v1/environments", AppIds.PddlPlugin), ("/plugin", "plugins"),
    ];

    [Fact]
    public void Kubernetes_access_control_denies_by_default_and_opens_exactly_the_intended_calls()
    {
        var configuration = Assert.Single(Manifest.Load("k8s/base/dapr/config.yaml"));
        var accessControl = configuration.Node["spec"]?["accessControl"];

        Assert.Equal("deny", accessControl?["defaultAction"].AsText());
        var granted = new Dictionary<(string, string), string[]>();
        foreach (var policy in (accessControl?["policies"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var caller = (policy["appId"].AsText()!, policy["namespace"].AsText()!);
            Assert.Equal("deny", policy["defaultAction"].AsText());
            var operations = (policy["operations"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            Assert.NotEmpty(operations);
            Assert.All(operations, o => Assert.Equal("allow", o["action"].AsText()));
            granted[caller] = [.. operations.Select(o =>
                $"{string.Join(',', (o["httpVerb"] as JsonArray ?? []).Select(v => v.AsText()).Order(StringComparer.Ordinal))} {o["name"].AsText()}")];
        }

        Assert.Equal(IntendedCalls.Keys.Order(), granted.Keys.Order());
        foreach (var (caller, operations) in IntendedCalls)
        {
            Assert.Equal(operations.Order(StringComparer.Ordinal), granted[caller].Order(StringComparer.Ordinal));
        }

        // Every granted operation reaches exactly one callee, and no caller may call itself or the vault unless it is the CLI.
        foreach (var ((caller, _), operations) in granted)
        {
            foreach (var path in operations.Select(o => o.Split(' ')[1]))
            {
                var callee = Assert.Single(Callees, c => path == c.Prefix || path.StartsWith(c.Prefix + "/", StringComparison.Ordinal)).Callee;
                Assert.True(callee != caller || caller == AppIds.Planner, $"{caller} may call itself at {path}");
                Assert.True(caller == Repository.CliAppId || !path.Contains("vault", StringComparison.Ordinal), $"{caller} may reach the vault at {path}");
            }
        }
    }

    [Fact]
    public void Memory_and_plugins_call_no_one()
    {
        var configuration = Assert.Single(Manifest.Load("k8s/base/dapr/config.yaml"));
        var callers = (configuration.Node["spec"]?["accessControl"]?["policies"] as JsonArray ?? []).Select(p => p?["appId"].AsText()).ToList();

        Assert.DoesNotContain(AppIds.Memory, callers);
        Assert.DoesNotContain(AppIds.PddlPlugin, callers);
    }

    [Theory]
    [InlineData("config.yaml")]
    [InlineData("resiliency.yaml")]
    public void Kubernetes_configuration_and_resiliency_are_the_same_in_the_base_and_in_components_k3s_and_gke(string file)
    {
        var baseText = File.ReadAllText(Repository.PathOf($"k8s/base/dapr/{file}"));

        Assert.Equal(baseText, File.ReadAllText(Repository.PathOf($"components/k3s/{file}")));
        Assert.Equal(baseText, File.ReadAllText(Repository.PathOf($"components/gke/{file}")));
    }

    [Fact]
    public void Every_dapr_component_and_resiliency_anywhere_is_scoped_to_known_apps()
    {
        var scoped = All.Where(m => m.IsScopedDaprKind).ToList();

        Assert.Contains(scoped, m => m.File.StartsWith("components/edge/", StringComparison.Ordinal));
        foreach (var manifest in scoped)
        {
            Assert.NotEmpty(manifest.Scopes);
            Assert.All(manifest.Scopes, s => Assert.Contains(s!, Repository.KnownAppIds));
        }
    }

    [Fact]
    public void Components_that_take_a_secret_from_another_store_are_loaded_only_by_apps_that_load_that_store()
    {
        foreach (var environment in All.Where(m => m.IsDapr && m.Kind == "Component").GroupBy(m => m.Environment))
        {
            foreach (var component in environment.Where(m => m.Node["auth"]?["secretStore"] is not null))
            {
                var store = environment.Single(m => m.Name == component.Node["auth"]?["secretStore"].AsText());
                Assert.Subset(store.Scopes.ToHashSet(), component.Scopes.ToHashSet());
            }
        }
    }

    [Fact]
    public void Environments_use_the_intended_component_types()
    {
        string? TypeOf(string environment, string name) =>
            All.Single(m => m.Environment == environment && m.Name == name).Node["spec"]?["type"].AsText();

        Assert.Equal(("pubsub.redis", "state.redis", "secretstores.kubernetes"),
            (TypeOf("k3s", Components.PubSub), TypeOf("k3s", Components.StateStore), TypeOf("k3s", Components.SecretStore)));
        Assert.Equal(("pubsub.gcp.pubsub", "state.postgresql", "secretstores.gcp.secretmanager"),
            (TypeOf("gke", Components.PubSub), TypeOf("gke", Components.StateStore), TypeOf("gke", Components.SecretStore)));
        Assert.Equal(("pubsub.mqtt3", "state.sqlite", "secretstores.local.file"),
            (TypeOf("edge", Components.PubSub), TypeOf("edge", Components.StateStore), TypeOf("edge", Components.SecretStore)));
    }

    [Fact]
    public void Gke_components_authenticate_with_workload_identity_not_keys()
    {
        string[] keyFields = ["privateKey", "private_key", "privateKeyId", "private_key_id", "clientEmail", "client_email", "credentialsJson"];

        foreach (var component in All.Where(m => m.Environment == "gke" && m.Kind == "Component"))
        {
            var names = (component.Node["spec"]?["metadata"] as JsonArray ?? []).Select(e => e?["name"].AsText()).ToList();
            Assert.DoesNotContain(names, n => keyFields.Contains(n));
        }
    }

    [Fact]
    public void Edge_planner_runs_only_on_edge_nodes_and_survives_losing_the_cloud()
    {
        var planner = Assert.Single(Under("edge"), m => m.Kind == "Deployment");
        var spec = planner.Node["spec"]?["template"]?["spec"];

        Assert.Equal("", spec?["nodeSelector"]?["node-role.kubernetes.io/edge"].AsText());
        var tolerations = (spec?["tolerations"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        Assert.Contains(tolerations, t => t["key"].AsText() == "node-role.kubernetes.io/edge" && t["effect"].AsText() == "NoSchedule");
        foreach (var taint in new[] { "node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready" })
        {
            var toleration = Assert.Single(tolerations, t => t["key"].AsText() == taint);
            Assert.Equal("NoExecute", toleration["effect"].AsText());
            Assert.Null(toleration["tolerationSeconds"]);
        }

        Assert.StartsWith("maximus-host-lite", Pods.Containers(planner).Single()["image"].AsText(), StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", Pods.Annotation(planner, "dapr.io/sidecar-listen-addresses"));
    }

    [Fact]
    public void Knative_planner_scales_to_zero_on_requests_per_second_with_bounded_concurrency()
    {
        var service = Assert.Single(Under("k8s/knative"), m => m.ApiVersion == "serving.knative.dev/v1" && m.Kind == "Service");

        Assert.Equal("0", Pods.Annotation(service, "autoscaling.knative.dev/min-scale"));
        Assert.Equal("rps", Pods.Annotation(service, "autoscaling.knative.dev/metric"));
        Assert.True(int.Parse(Pods.Annotation(service, "autoscaling.knative.dev/target") ?? "0", System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.InRange(Pods.Template(service)?["spec"]?["containerConcurrency"]?.GetValue<long>() ?? 0, 1, 1000);
        Assert.Equal(AppIds.Planner, Pods.Annotation(service, "dapr.io/app-id"));
    }

    [Fact]
    public void Inference_service_serves_the_reflection_model_from_s3_with_one_to_ten_replicas_and_the_csharp_transformer()
    {
        var service = Assert.Single(Under("k8s/kserve"), m => m.Kind == "InferenceService");
        var predictor = service.Node["spec"]?["predictor"];
        var transformer = service.Node["spec"]?["transformer"];

        Assert.Equal(1L, predictor?["minReplicas"]?.GetValue<long>());
        Assert.Equal(10L, predictor?["maxReplicas"]?.GetValue<long>());
        Assert.StartsWith("s3://", predictor?["model"]?["storageUri"].AsText(), StringComparison.Ordinal);
        Assert.NotNull(predictor?["model"]?["resources"]?["limits"]);
        Assert.Equal(1L, transformer?["minReplicas"]?.GetValue<long>());
        Assert.Equal(10L, transformer?["maxReplicas"]?.GetValue<long>());
        var container = Assert.Single(transformer?["containers"] as JsonArray ?? []);
        Assert.Equal("maximus-kserve-transformer", container?["image"].AsText());
        Assert.NotNull(container?["resources"]?["limits"]);
        Assert.True(File.Exists(Repository.PathOf("services/Maximus.KServe.Transformer/Dockerfile")));
    }

    [Fact]
    public void Argo_cd_has_one_application_per_environment_pointing_at_its_kustomization()
    {
        var applications = Under("k8s/gitops").Where(m => m.Kind == "Application").ToList();

        Assert.Equal(["edge", "k8s/overlays/gke", "k8s/overlays/k3s"], applications.Select(a => a.Node["spec"]?["source"]?["path"].AsText()).Order(StringComparer.Ordinal));
        foreach (var application in applications)
        {
            var path = application.Node["spec"]?["source"]?["path"].AsText()!;
            Assert.True(File.Exists(Repository.PathOf(Path.Combine(path, "kustomization.yaml"))), $"{application}: {path} has no kustomization.yaml");
            Assert.Equal("argocd", application.Node["metadata"]?["namespace"].AsText());
            Assert.True(application.Node["spec"]?["syncPolicy"]?["automated"]?["selfHeal"]?.GetValue<bool>());
        }
    }
}
