using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Maximus.ServiceDefaults;

/// <summary>
/// Where a host looks for appsettings.json: the application's own folder, whatever the working directory, unless
/// <c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c> or <c>DOTNET_CONTENTROOT</c> says otherwise. The file only
/// overrides: every setting the host needs has its safe default in code.
/// </summary>
public static class HostContentRoot
{
    public static WebApplicationOptions Options(string[] args) =>
        new() { Args = args, ContentRootPath = IsGiven(args) ? null : AppContext.BaseDirectory };

    /// <summary>True when the content root is set by an argument or an environment variable.</summary>
    public static bool IsGiven(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build();
        return !string.IsNullOrEmpty(configuration[WebHostContentRootKey]);
    }

    private const string WebHostContentRootKey = "contentRoot";
}
