using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dapr.DurableTask.Protobuf;
using Dapr.Workflow;
using Dapr.Workflow.Registration;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Maximus.Contracts.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Maximus.Runtime.Tests.Workflows;

/// <summary>
/// A fake Dapr sidecar workflow API on a loopback port: a contract test of our own <c>DaprWorkflowHost</c> (behind the
/// SDK's real <see cref="DaprWorkflowClient"/> and its gRPC client), not of Dapr's workflow engine. It answers the unary
/// calls of daprd's <c>TaskHubSidecarService</c> the adapter makes (StartInstance, GetInstance, RaiseEvent,
/// ResumeInstance, SuspendInstance) in gRPC's wire format over HTTP/2. The workflow code runs on the embedded engine in
/// the sidecar engine's place (the same <see cref="TestWorkflows"/> classes a Dapr app registers); the fake keeps what
/// is the sidecar's own:
/// <list type="bullet">
/// <item>suspend and resume: a suspended instance reads as Suspended and the events raised meanwhile are held until it is
/// resumed; resume changes only a suspended instance (the counterpart of suspend, nothing more);</item>
/// <item>errors as daprd's: an id in use fails ("an active workflow with ID … already exists"), an unknown instance is
/// gRPC NotFound for raise-event, suspend and resume, and reads as not existing for GetInstance.</item>
/// </list>
/// </summary>
public sealed class FakeDaprWorkflowSidecar : IAsyncDisposable
{
    private readonly IWorkflowHost _engine;
    private readonly WebApplication _server;
    private readonly ConcurrentDictionary<string, List<(string Name, string? Payload)>> _suspended = new(StringComparer.Ordinal);

    private FakeDaprWorkflowSidecar(IWorkflowHost engine, WebApplication server, string endpoint)
    {
        _engine = engine;
        _server = server;
        var builder = new DaprWorkflowClientBuilder(new ConfigurationBuilder().Build());
        builder.UseGrpcEndpoint(endpoint);
        Client = builder.Build();
    }

    /// <summary>The SDK's client, talking gRPC to this sidecar.</summary>
    public DaprWorkflowClient Client { get; }

    public static async Task<FakeDaprWorkflowSidecar> StartAsync(IWorkflowHost engine)
    {
        FakeDaprWorkflowSidecar? self = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        var server = builder.Build();
        server.MapPost("/{service}/{method}", (HttpContext http, string method) => self!.ServeAsync(http, method));
        await server.StartAsync(TestContext.Current.CancellationToken);
        var endpoint = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        self = new FakeDaprWorkflowSidecar(engine, server, endpoint);
        return self;
    }

    /// <summary>What <c>dapr workflow suspend</c> asks the sidecar.</summary>
    public Task SuspendAsync(string instanceId) => Client.SuspendWorkflowAsync(instanceId, "suspended by the test");

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task ServeAsync(HttpContext http, string method)
    {
        var request = await ReadMessageAsync(http.Request);
        http.Response.ContentType = "application/grpc";
        try
        {
            IMessage reply = method switch
            {
                "StartInstance" => await StartInstanceAsync(CreateInstanceRequest.Parser.ParseFrom(request)),
                "GetInstance" => await GetInstanceAsync(GetInstanceRequest.Parser.ParseFrom(request)),
                "RaiseEvent" => await RaiseEventAsync(RaiseEventRequest.Parser.ParseFrom(request)),
                "SuspendInstance" => await SuspendInstanceAsync(SuspendRequest.Parser.ParseFrom(request)),
                "ResumeInstance" => await ResumeInstanceAsync(ResumeRequest.Parser.ParseFrom(request)),
                _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"the fake sidecar does not serve {method}")),
            };
            var bytes = reply.ToByteArray();
            var frame = new byte[5 + bytes.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)bytes.Length);
            bytes.CopyTo(frame, 5);
            await http.Response.Body.WriteAsync(frame);
            http.Response.AppendTrailer("grpc-status", "0");
        }
        catch (RpcException ex)
        {
            http.Response.AppendTrailer("grpc-status", ((int)ex.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
            http.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(ex.Status.Detail));
        }
    }

    private static async Task<byte[]> ReadMessageAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var all = buffer.ToArray();
        return all.Length < 5 ? [] : all[5..(5 + (int)BinaryPrimitives.ReadUInt32BigEndian(all.AsSpan(1)))];
    }

    private async Task<CreateInstanceResponse> StartInstanceAsync(CreateInstanceRequest request)
    {
        var input = string.IsNullOrEmpty(request.Input) ? default : JsonSerializer.Deserialize<JsonElement>(request.Input);
        try
        {
            await _engine.ScheduleAsync(request.Name, request.InstanceId, input);
        }
        catch (InvalidOperationException)
        {
            throw new RpcException(new Status(StatusCode.Unknown, $"an active workflow with ID '{request.InstanceId}' already exists"));
        }

        return new CreateInstanceResponse { InstanceId = request.InstanceId };
    }

    private async Task<GetInstanceResponse> GetInstanceAsync(GetInstanceRequest request)
    {
        if (await _engine.GetAsync(request.InstanceId) is not { } info)
        {
            return new GetInstanceResponse { Exists = false };
        }

        var state = new global::Dapr.DurableTask.Protobuf.WorkflowState
        {
            InstanceId = info.InstanceId,
            Name = info.WorkflowName,
            WorkflowStatus = _suspended.ContainsKey(info.InstanceId) && info.Status is WorkflowRunStatus.Pending or WorkflowRunStatus.Running
                ? OrchestrationStatus.Suspended
                : info.Status switch
                {
                    WorkflowRunStatus.Running => OrchestrationStatus.Running,
                    WorkflowRunStatus.Completed => OrchestrationStatus.Completed,
                    WorkflowRunStatus.Failed => OrchestrationStatus.Failed,
                    WorkflowRunStatus.Terminated => OrchestrationStatus.Terminated,
                    WorkflowRunStatus.Suspended => OrchestrationStatus.Suspended,
                    _ => OrchestrationStatus.Pending,
                },
            CreatedTimestamp = Timestamp.FromDateTimeOffset(info.CreatedAt),
            LastUpdatedTimestamp = Timestamp.FromDateTimeOffset(info.UpdatedAt),
        };
        if (request.GetInputsAndOutputs)
        {
            state.Input = info.InputJson ?? "";
            state.Output = info.OutputJson ?? "";
            state.CustomStatus = info.CustomStatusJson ?? "";
        }

        if (info.FailureMessage is { } message)
        {
            state.FailureDetails = new TaskFailureDetails { ErrorType = "TaskFailedException", ErrorMessage = message };
        }

        return new GetInstanceResponse { Exists = true, WorkflowState = state };
    }

    private async Task<RaiseEventResponse> RaiseEventAsync(RaiseEventRequest request)
    {
        await RequireAsync(request.InstanceId);
        var payload = string.IsNullOrEmpty(request.Input) ? null : request.Input;
        if (_suspended.TryGetValue(request.InstanceId, out var held))
        {
            lock (held)
            {
                held.Add((request.Name, payload));
            }
        }
        else
        {
            await DeliverAsync(request.InstanceId, request.Name, payload);
        }

        return new RaiseEventResponse();
    }

    private async Task<SuspendResponse> SuspendInstanceAsync(SuspendRequest request)
    {
        await RequireAsync(request.InstanceId);
        _suspended.TryAdd(request.InstanceId, []);
        return new SuspendResponse();
    }

    private async Task<ResumeResponse> ResumeInstanceAsync(ResumeRequest request)
    {
        await RequireAsync(request.InstanceId);
        if (_suspended.TryRemove(request.InstanceId, out var held))
        {
            foreach (var (name, payload) in held)
            {
                await DeliverAsync(request.InstanceId, name, payload);
            }
        }

        return new ResumeResponse();
    }

    private Task DeliverAsync(string instanceId, string name, string? payload) =>
        _engine.RaiseEventAsync(instanceId, name, payload is null ? null : JsonSerializer.Deserialize<JsonElement>(payload));

    private async Task RequireAsync(string instanceId)
    {
        if (await _engine.GetAsync(instanceId) is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no such instance exists: {instanceId}"));
        }
    }
}
