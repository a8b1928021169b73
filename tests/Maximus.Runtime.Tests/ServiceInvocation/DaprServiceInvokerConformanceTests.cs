using Dapr.Client;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Runtime.Dapr;
using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Runtime.Tests.ServiceInvocation;

/// <summary>
/// Maximus.Host on the Dapr runtime serving <see cref="CalculatorApp"/>'s operations (a one-role host maps
/// every declared operation at the root, as its sidecar calls them), reached through
/// <see cref="FakeDaprInvocationSidecar"/>.
/// </summary>
public sealed class CalculatorHost : WebApplicationFactory<Program>
{
    private HttpClient? _http;

    public IServiceInvoker Invoker
    {
        get
        {
            if (_http is null)
            {
                // The pipeline AddDaprRuntime builds: Dapr's InvocationHandler rewrites http://{appId}/{method} to the sidecar.
                var sidecar = new FakeDaprInvocationSidecar(new Dictionary<string, HttpMessageHandler>(StringComparer.Ordinal)
                {
                    [CalculatorApp.AppId] = Server.CreateHandler(),
                });
                _http = new HttpClient(new InvocationHandler { DaprEndpoint = "http://127.0.0.1:3500", InnerHandler = sidecar });
            }

            return new DaprServiceInvoker(_http);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("role", AppIds.Reflector);
        builder.UseSetting("runtime", "dapr");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<CallLedger>();
            services.AddServiceOperations(CalculatorApp.Operations);
        });
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _http?.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The invocation conformance suite on <see cref="DaprServiceInvoker"/>, over HTTP through the fake sidecar.</summary>
public sealed class DaprServiceInvokerConformanceTests(CalculatorHost host) : ServiceInvokerConformance, IClassFixture<CalculatorHost>
{
    protected override IServiceInvoker Invoker => host.Invoker;

    protected override CallLedger Ledger => host.Services.GetRequiredService<CallLedger>();
}
