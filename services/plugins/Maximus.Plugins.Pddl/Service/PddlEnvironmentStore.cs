using System.Collections.Concurrent;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;

namespace Maximus.Plugins.Pddl.Service;

/// <summary>
/// Persists PDDL environments in the plugin's state store (one snapshot per environment, written with
/// optimistic concurrency), so an environment survives a restart of the plugin and a resumed mission
/// finds the world as its executed steps left it. Parsed environments are cached by ETag.
/// </summary>
public sealed class PddlEnvironmentStore(IStateStore state)
{
    private readonly ConcurrentDictionary<string, (string ETag, PddlEnvironment Environment)> _cache = new(StringComparer.Ordinal);

    public static string Key(string environmentId) => $"pddl-env:{environmentId}";

    public async Task<PddlEnvironment> CreateAsync(string environmentId, PddlEnvironment environment, CancellationToken cancellationToken)
    {
        if (!await state.TrySaveAsync(Key(environmentId), environment.ToSnapshot(), null, cancellationToken).ConfigureAwait(false))
        {
            throw new ProblemException(409, "Environment exists", $"An environment '{environmentId}' exists already.", "environmentId");
        }

        return environment;
    }

    public async Task<PddlEnvironment> GetAsync(string environmentId, CancellationToken cancellationToken) =>
        (await LoadAsync(environmentId, cancellationToken).ConfigureAwait(false)).Environment;

    /// <summary>Runs <paramref name="change"/> on the current environment and saves it; retried on concurrent changes.</summary>
    public async Task<T> ChangeAsync<T>(string environmentId, Func<PddlEnvironment, T> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (etag, current) = await LoadAsync(environmentId, cancellationToken).ConfigureAwait(false);

            // Work on a copy so a lost race leaves the cached instance untouched.
            var environment = PddlEnvironment.FromSnapshot(current.ToSnapshot());
            var result = change(environment);
            if (await state.TrySaveAsync(Key(environmentId), environment.ToSnapshot(), etag, cancellationToken).ConfigureAwait(false))
            {
                _cache.TryRemove(environmentId, out _);
                return result;
            }

            if (attempt >= 20)
            {
                throw new ProblemException(409, "Concurrent changes", $"Environment '{environmentId}' kept changing; try again.");
            }
        }
    }

    private async Task<(string ETag, PddlEnvironment Environment)> LoadAsync(string environmentId, CancellationToken cancellationToken)
    {
        var (snapshot, etag) = await state.GetWithETagAsync<PddlEnvironmentSnapshot>(Key(environmentId), cancellationToken).ConfigureAwait(false);
        if (snapshot is null || etag is null)
        {
            throw new ProblemException(404, "Unknown environment", $"No PDDL environment '{environmentId}'. Create one with POST v1/environments.", "context");
        }

        if (_cache.TryGetValue(environmentId, out var cached) && cached.ETag == etag)
        {
            return cached;
        }

        var loaded = (etag, PddlEnvironment.FromSnapshot(snapshot));
        _cache[environmentId] = loaded;
        return loaded;
    }
}

/// <summary>Creates an environment from a PDDL domain and problem (their texts; file names only label errors).</summary>
public sealed record CreateEnvironmentRequest(
    string Domain,
    string Problem,
    string? DomainFile = null,
    string? ProblemFile = null,
    string? EnvironmentId = null);

public sealed record EnvironmentCreated(
    string EnvironmentId,
    string DomainName,
    string ProblemName,
    int Objects,
    IReadOnlyList<ContractLiteral> Goal);

public sealed record EnvironmentView(string EnvironmentId, PluginState State, IReadOnlyList<string> AppliedRequestIds);

/// <summary>Someone else changes the world: facts added and deleted outside any plan.</summary>
public sealed record ExternalChangeRequest(IReadOnlyList<ContractLiteral> Add, IReadOnlyList<ContractLiteral> Delete);
