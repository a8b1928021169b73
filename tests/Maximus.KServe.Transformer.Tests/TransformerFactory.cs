using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.KServe.Transformer.Tests;

/// <summary>The transformer as KServe starts it (<c>--model_name reflection --predictor_host ...</c>), with a fake predictor.</summary>
public sealed class TransformerFactory(FakePredictor predictor) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("model_name", "reflection");
        builder.UseSetting("predictor_host", "reflection-predictor.maximus-models");
        builder.ConfigureServices(services => services.AddHttpClient(PredictorClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => predictor));
    }
}
