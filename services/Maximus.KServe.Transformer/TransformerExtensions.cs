using System.Globalization;
using Microsoft.Extensions.Options;

namespace Maximus.KServe.Transformer;

public static class TransformerExtensions
{
    /// <summary>
    /// Adds the reflection transformer: options (section <c>Transformer</c>, plus KServe's <c>--model_name</c>,
    /// <c>--predictor_host</c>, <c>--http_port</c>), the pre/post-processors, the predictor client and JSON.
    /// </summary>
    public static WebApplicationBuilder AddReflectionTransformer(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddOptions<TransformerOptions>()
            .BindConfiguration(TransformerOptions.Section)
            .PostConfigure(o =>
            {
                o.ModelName = configuration["model_name"] ?? o.ModelName;
                o.PredictorHost = configuration["predictor_host"] ?? o.PredictorHost;
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TransformerOptions>, TransformerOptionsValidator>();

        if (configuration["http_port"] is { } port && string.IsNullOrEmpty(configuration["urls"]))
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                throw new ArgumentException($"--http_port must be a port number, not '{port}'.");
            }

            builder.WebHost.UseUrls($"http://0.0.0.0:{number}");
        }

        builder.Services.AddHttpClient(PredictorClient.HttpClientName)
            .ConfigureHttpClient((sp, http) => http.Timeout = sp.GetRequiredService<IOptions<TransformerOptions>>().Value.PredictorTimeout);
        builder.Services.AddSingleton<PredictorClient>();
        builder.Services.AddSingleton(sp => new ReflectionPreprocessor(sp.GetRequiredService<IOptions<TransformerOptions>>().Value.MaxInputChars));
        builder.Services.AddSingleton(sp => new ReflectionPostprocessor(sp.GetRequiredService<IOptions<TransformerOptions>>().Value.EffectiveLabels));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, TransformerJson.Default));
        return builder;
    }

    private sealed class TransformerOptionsValidator : IValidateOptions<TransformerOptions>
    {
        public ValidateOptionsResult Validate(string? name, TransformerOptions options)
        {
            var problems = options.Problems();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
