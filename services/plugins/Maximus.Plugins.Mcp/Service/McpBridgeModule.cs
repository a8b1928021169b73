using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Maximus.Plugins.Mcp.Service;

public static class McpBridgeModule
{
    /// <summary>The MCP bridge plugin app: the configured servers (<c>Maximus:Plugins:Mcp</c>), their clients and the contract's operations.</summary>
    public static IServiceCollection AddMcpBridge(this IServiceCollection services)
    {
        services.AddOptions<McpBridgeOptions>()
            .BindConfiguration(McpBridgeOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<McpBridgeOptions>, McpBridgeOptionsValidator>();
        services.AddSingleton<McpServerConnections>();
        services.AddSingleton<McpBridge>();
        services.AddServiceOperations(McpBridgeApi.Operations());
        return services;
    }

    private sealed class McpBridgeOptionsValidator : IValidateOptions<McpBridgeOptions>
    {
        public ValidateOptionsResult Validate(string? name, McpBridgeOptions options) =>
            options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
