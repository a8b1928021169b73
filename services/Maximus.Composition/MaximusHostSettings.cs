using Maximus.Contracts;
using Microsoft.Extensions.Configuration;

namespace Maximus.Composition;

public enum RuntimeKind
{
    /// <summary>One process, no sidecar: SQLite, in-process pub/sub, invocation and workflows.</summary>
    Embedded,

    /// <summary>The production shape: one role per process, each with its Dapr sidecar.</summary>
    Dapr,
}

/// <summary>Which roles this process runs and on which runtime (<c>--role</c>, <c>--runtime</c>, <c>--data-dir</c>).</summary>
public sealed record MaximusHostSettings(IReadOnlyList<string> Roles, RuntimeKind Runtime, string? DataDirectory)
{
    public const string AllRoles = "all";

    /// <summary>Every app a process can host: the five services, the example PDDL plugin and the MCP bridge plugin.</summary>
    public static IReadOnlyList<string> KnownRoles { get; } = [.. AppIds.Services, AppIds.PddlPlugin, AppIds.McpBridge];

    public bool Hosts(string appId) => Roles.Contains(appId, StringComparer.Ordinal);

    /// <summary>The service name in logs and traces: the app id, or "maximus" for several roles.</summary>
    public string ServiceName => Roles.Count == 1 ? Roles[0] : "maximus";

    public static MaximusHostSettings All(string? dataDirectory = null) => new(KnownRoles, RuntimeKind.Embedded, dataDirectory);

    /// <summary>Reads <c>role</c>, <c>runtime</c> and <c>data-dir</c>; throws <see cref="ArgumentException"/> with a clear message.</summary>
    public static MaximusHostSettings FromConfiguration(IConfiguration configuration)
    {
        var role = configuration["role"] ?? AllRoles;
        var runtimeText = configuration["runtime"] ?? "embedded";
        if (!Enum.TryParse<RuntimeKind>(runtimeText, ignoreCase: true, out var runtime))
        {
            throw new ArgumentException($"--runtime must be 'dapr' or 'embedded', not '{runtimeText}'.");
        }

        IReadOnlyList<string> roles;
        if (string.Equals(role, AllRoles, StringComparison.OrdinalIgnoreCase))
        {
            roles = KnownRoles;
        }
        else
        {
            roles = role.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = roles.Where(r => !KnownRoles.Contains(r, StringComparer.Ordinal)).ToList();
            if (roles.Count == 0 || unknown.Count > 0)
            {
                throw new ArgumentException($"--role must be one of {string.Join('|', KnownRoles)}|{AllRoles}, not '{role}'.");
            }
        }

        if (runtime == RuntimeKind.Dapr && roles.Count != 1)
        {
            throw new ArgumentException("--runtime dapr runs one role per process (one app id per sidecar): pass --role <role>; dapr.yaml starts them all.");
        }

        return new MaximusHostSettings(roles, runtime, configuration["data-dir"]);
    }
}
