using Maximus.KServe.Transformer;

// KServe custom transformer (V1 protocol) in front of the reflection model's predictor. KServe starts it with
// --model_name <isvc> --predictor_host <predictor service> --http_port 8080.
var builder = WebApplication.CreateSlimBuilder(args);
builder.AddReflectionTransformer();

var app = builder.Build();
app.MapKServeV1();

app.Run();

/// <summary>The transformer's entry point, visible to <c>WebApplicationFactory</c> in tests.</summary>
public partial class Program;
