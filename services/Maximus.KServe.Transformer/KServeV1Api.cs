using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Maximus.KServe.Transformer;

/// <summary>
/// The KServe V1 data plane of the transformer: <c>GET /</c> (alive), <c>GET /v1/models</c>,
/// <c>GET /v1/models/{name}</c> (ready when the predictor is) and <c>POST /v1/models/{name}:predict</c>
/// (<c>{"instances": [...]}</c> in, <c>{"predictions": [...]}</c> out). Errors are <c>{"error": "..."}</c> as in KServe.
/// </summary>
public static class KServeV1Api
{
    public static WebApplication MapKServeV1(this WebApplication app)
    {
        app.MapGet("/", () => TypedResults.Ok(new AliveStatus("alive")));
        app.MapGet("/v1/models", (IOptions<TransformerOptions> options) => TypedResults.Ok(new ModelList([options.Value.ModelName])));
        app.MapGet("/v1/models/{name}", ReadyAsync);
        app.MapPost("/v1/models/{name}:predict", PredictAsync);
        return app;
    }

    internal static async Task<Results<Ok<ModelStatus>, JsonHttpResult<ModelStatus>, NotFound<ErrorBody>>> ReadyAsync(
        string name, IOptions<TransformerOptions> options, PredictorClient predictor, CancellationToken cancellationToken)
    {
        if (!IsServed(name, options.Value))
        {
            return TypedResults.NotFound(UnknownModel(name));
        }

        var ready = await predictor.IsReadyAsync(cancellationToken).ConfigureAwait(false);
        var status = new ModelStatus(name, ready);
        return ready
            ? TypedResults.Ok(status)
            : TypedResults.Json(status, TransformerJson.Default.ModelStatus, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    internal static async Task<Results<Ok<PredictResponse>, JsonHttpResult<ErrorBody>, NotFound<ErrorBody>, BadRequest<ErrorBody>>> PredictAsync(
        string name,
        HttpRequest request,
        IOptions<TransformerOptions> options,
        PredictorClient predictor,
        ReflectionPreprocessor preprocessor,
        ReflectionPostprocessor postprocessor,
        CancellationToken cancellationToken)
    {
        if (!IsServed(name, options.Value))
        {
            return TypedResults.NotFound(UnknownModel(name));
        }

        IReadOnlyList<string> texts;
        try
        {
            var instances = await ReadInstancesAsync(request, options.Value.MaxInstances, cancellationToken).ConfigureAwait(false);
            texts = preprocessor.Preprocess(instances);
        }
        catch (TransformerInputException ex)
        {
            return TypedResults.BadRequest(new ErrorBody(ex.Message));
        }

        try
        {
            var predictions = await predictor.PredictAsync(texts, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new PredictResponse(postprocessor.Postprocess(predictions, texts.Count)));
        }
        catch (PredictorUnavailableException ex)
        {
            return TypedResults.Json(new ErrorBody(ex.Message), TransformerJson.Default.ErrorBody, statusCode: (int)ex.Status);
        }
        catch (PredictorResponseException ex)
        {
            return TypedResults.Json(new ErrorBody(ex.Message), TransformerJson.Default.ErrorBody, statusCode: StatusCodes.Status502BadGateway);
        }
    }

    private static async Task<IReadOnlyList<JsonElement>> ReadInstancesAsync(HttpRequest request, int maxInstances, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            throw new TransformerInputException("the body must be JSON (Content-Type: application/json).");
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 32 }, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new TransformerInputException($"the body is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("instances", out var instances) || instances.ValueKind != JsonValueKind.Array)
            {
                throw new TransformerInputException("the body must be {\"instances\": [...]} (KServe V1).");
            }

            var count = instances.GetArrayLength();
            if (count == 0)
            {
                throw new TransformerInputException("instances must not be empty.");
            }

            if (count > maxInstances)
            {
                throw new TransformerInputException($"instances holds {count} items; at most {maxInstances} per request.");
            }

            return [.. instances.EnumerateArray().Select(i => i.Clone())];
        }
    }

    private static bool IsServed(string name, TransformerOptions options) => string.Equals(name, options.ModelName, StringComparison.Ordinal);

    private static ErrorBody UnknownModel(string name) => new($"Model with name {name} does not exist.");
}

public sealed record AliveStatus(string Status);

public sealed record ModelList(IReadOnlyList<string> Models);

public sealed record ModelStatus(string Name, bool Ready);

public sealed record PredictResponse(IReadOnlyList<ReflectionPrediction> Predictions);

public sealed record ErrorBody(string Error);

public sealed record PredictorRequest(IReadOnlyList<string> Instances);

/// <summary>Source-generated JSON for every type the transformer reads or writes (no reflection: trimmable).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AliveStatus))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelStatus))]
[JsonSerializable(typeof(PredictResponse))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(PredictorRequest))]
internal sealed partial class TransformerJson : JsonSerializerContext;
