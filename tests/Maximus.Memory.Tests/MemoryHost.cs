using Maximus.Contracts;
using Maximus.Composition;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Memory.Tests;

/// <summary>The memory role alone on the embedded runtime (a fresh data folder unless one is given, e.g. to restart on it).</summary>
internal sealed class MemoryHost : IAsyncDisposable
{
    private readonly IHost _host;

    private MemoryHost(IHost host, string dataDirectory)
    {
        _host = host;
        DataDirectory = dataDirectory;
    }

    public IServiceProvider Services => _host.Services;

    public string DataDirectory { get; }

    public T Get<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    public static async Task<MemoryHost> StartAsync(string? dataDirectory = null)
    {
        var dir = dataDirectory ?? Directory.CreateTempSubdirectory("maximus-memory-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(new MaximusHostSettings([AppIds.Memory], RuntimeKind.Embedded, dir));
        var host = builder.Build();
        await host.StartAsync();
        return new MemoryHost(host, dir);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
