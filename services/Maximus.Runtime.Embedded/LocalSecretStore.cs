using System.Text.Json;
using Maximus.Contracts.Ports;
using Microsoft.Extensions.Options;

namespace Maximus.Runtime.Embedded;

/// <summary>
/// The embedded runtime's secret store: an environment variable <c>MAXIMUS_SECRET_{NAME}</c> (upper case, '-' as '_')
/// wins; otherwise <c>secrets.json</c> in the data folder (created with owner-only permissions when a secret is set).
/// </summary>
public sealed class LocalSecretStore(IOptions<EmbeddedRuntimeOptions> options) : IWritableSecretStore
{
    private readonly string _path = Path.Combine(options.Value.DataDirectory, "secrets.json");
    private readonly Lock _gate = new();

    public Task<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentName(name));
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Task.FromResult<string?>(fromEnvironment);
        }

        lock (_gate)
        {
            return Task.FromResult(Read().TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null);
        }
    }

    public Task SetSecretAsync(string name, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_gate)
        {
            var secrets = Read();
            secrets[name] = value;
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temp = _path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(secrets, new JsonSerializerOptions { WriteIndented = true }));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temp, _path, overwrite: true);
        }

        return Task.CompletedTask;
    }

    public static string EnvironmentName(string name) => "MAXIMUS_SECRET_" + name.ToUpperInvariant().Replace('-', '_').Replace(':', '_');

    private Dictionary<string, string> Read() =>
        File.Exists(_path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(_path)) ?? []
            : new Dictionary<string, string>(StringComparer.Ordinal);
}
