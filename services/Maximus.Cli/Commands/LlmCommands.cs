using System.CommandLine;
using System.Globalization;
using Maximus.Cli;
using Maximus.Composition;
using Maximus.Llm;
using Maximus.Llm.Gemini;
using Maximus.Runtime.Dapr;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maximus.Cli.Commands;

/// <summary><c>maximus llm ask "&lt;prompt&gt;" [--mode fast|normal|deep|adaptive]</c>: one question to the configured model.</summary>
internal static class LlmCommands
{
    public static Command Create(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var llm = new Command("llm", "Talk to the configured language model (Gemini or an OpenAI-compatible endpoint).");
        llm.Subcommands.Add(Ask(dataDir, runtime, verbose));
        return llm;
    }

    private static Command Ask(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var prompt = new Argument<string>("prompt") { Description = "The question; '-' reads it from standard input." };
        var mode = new Option<string?>("--mode") { Description = "Thinking mode: fast, normal, deep or adaptive (default: Maximus:Llm:DefaultMode, adaptive)." };
        mode.AcceptOnlyFromAmong([.. ThinkingModes.Names]);
        var system = new Option<string?>("--system") { Description = "A system instruction." };
        var thoughts = new Option<bool>("--thoughts") { Description = "Ask for the model's thought summary and print it (to standard error)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: text, thoughts, mode, model, usage, cost." };
        var command = new Command("ask", "Ask the configured model, in a thinking mode; the month's spend counts against the budget.")
        {
            prompt, mode, system, thoughts, json,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var ctx = CommandContext.From(result, dataDir, runtime, verbose);
            var text = result.GetValue(prompt)!;
            if (text == "-")
            {
                text = await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                return CliOutput.Error("the prompt is empty.");
            }

            using var host = BuildHost(ctx);
            try
            {
                _ = host.Services.GetRequiredService<IOptions<LlmOptions>>().Value;
                _ = host.Services.GetRequiredService<IOptions<GeminiOptions>>().Value;
            }
            catch (OptionsValidationException ex)
            {
                return CliOutput.Error(string.Join(Environment.NewLine + "       ", ex.Failures));
            }

            if (host.Services.GetService<IChatClient>() is not { } chat)
            {
                var status = host.Services.GetRequiredService<LlmStatus>();
                Console.Error.WriteLine($"error: no language model is configured. {status.Reason}");
                Console.Error.WriteLine(LlmStatus.HowToConfigure);
                return ExitCodes.BadInput;
            }

            var options = new ChatOptions { Instructions = result.GetValue(system) };
            if (ThinkingModes.TryParse(result.GetValue(mode), out var chosen))
            {
                options.WithThinkingMode(chosen);
            }

            if (result.GetValue(thoughts))
            {
                options.Reasoning = new ReasoningOptions { Output = ReasoningOutput.Summary };
            }

            try
            {
                var response = result.GetValue(json)
                    ? await chat.GetResponseAsync([new ChatMessage(ChatRole.User, text)], options, cancellationToken).ConfigureAwait(false)
                    : await StreamAsync(chat, text, options, result.GetValue(thoughts), cancellationToken).ConfigureAwait(false);
                return Report(response, result.GetValue(json), result.GetValue(thoughts));
            }
            catch (LlmApiException ex) when (!ex.IsTransient)
            {
                return CliOutput.Error(ex.Message, ExitCodes.BadInput);
            }
            catch (LlmException ex)
            {
                return CliOutput.Error(ex.Message, ex is LlmApiException or LlmTimeoutException or LlmUnavailableException or LlmBudgetExceededException ? ExitCodes.Unavailable : ExitCodes.BadInput);
            }
            catch (HttpRequestException ex)
            {
                return CliOutput.Error($"the model could not be reached: {ex.Message}", ExitCodes.Unavailable);
            }
        });
        return command;
    }

    /// <summary>
    /// A host with only what the command needs: the runtime's state store (the month's spend is kept there) and the
    /// LLM layer, configured like the services (environment variables, appsettings.json). It is not started.
    /// </summary>
    private static IHost BuildHost(CommandContext ctx)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = ctx.Verbose ? "Information" : "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Warning",
            ["Serilog:MinimumLevel:Override:System.Net.Http"] = "Warning",
        });
        builder.AddMaximusLogging(toStandardError: true);
        if (ctx.Runtime == RuntimeKind.Embedded)
        {
            builder.Services.AddEmbeddedRuntime(o => o.DataDirectory = ctx.DataDirectory);
        }
        else
        {
            builder.Services.AddDaprRuntime();
        }

        builder.AddLlm();
        return builder.Build();
    }

    private static async Task<ChatResponse> StreamAsync(IChatClient chat, string text, ChatOptions options, bool showThoughts, CancellationToken cancellationToken)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, text)], options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            foreach (var content in update.Contents)
            {
                if (content is TextReasoningContent reasoning && showThoughts)
                {
                    await Console.Error.WriteAsync(reasoning.Text).ConfigureAwait(false);
                }
                else if (content is TextContent part)
                {
                    await Console.Out.WriteAsync(part.Text).ConfigureAwait(false);
                }
            }
        }

        await Console.Out.WriteLineAsync().ConfigureAwait(false);
        return updates.ToChatResponse();
    }

    private static int Report(ChatResponse response, bool json, bool showThoughts)
    {
        response.TryGet<string>(LlmChatOptions.ModeKey, out var mode);
        response.TryGet<string>(LlmChatOptions.ModeReasonKey, out var reason);
        response.TryGet<decimal>(LlmChatOptions.CostKey, out var cost);
        var cached = response.TryGet<bool>(LlmChatOptions.CachedKey, out var c) && c;
        var fallback = response.TryGet<bool>(LlmChatOptions.BudgetFallbackKey, out var f) && f;
        response.TryGet<GeminiOutcome>(GeminiOutcome.Key, out var outcome);
        var thoughts = string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text));
        var blocked = outcome?.Blocked == true || response.FinishReason == ChatFinishReason.ContentFilter;
        if (json)
        {
            CliOutput.Json(new
            {
                text = response.Text,
                thoughts = showThoughts ? thoughts : null,
                mode,
                modeReason = reason,
                model = response.ModelId,
                finishReason = response.FinishReason?.Value,
                blocked,
                blockReason = outcome?.BlockReason ?? (blocked ? outcome?.FinishReason : null),
                usage = new
                {
                    input = response.Usage?.InputTokenCount,
                    output = response.Usage?.OutputTokenCount,
                    thinking = response.Usage?.ReasoningTokenCount,
                    total = response.Usage?.TotalTokenCount,
                },
                costUsd = cost,
                cached,
                budgetFallback = fallback,
            });
        }
        else
        {
            var usage = response.Usage;
            Console.Error.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"[{mode ?? "?"} mode ({reason ?? "-"}) · {response.ModelId ?? "?"} · {usage?.InputTokenCount ?? 0} in / {usage?.OutputTokenCount ?? 0} out ({usage?.ReasoningTokenCount ?? 0} thinking) tokens · ${cost:0.######}{(cached ? " · cached" : "")}{(fallback ? " · over budget: fallback mode" : "")}]"));
        }

        if (blocked)
        {
            Console.Error.WriteLine($"The model withheld its answer: {outcome?.BlockReason ?? outcome?.FinishReason ?? "content filter"}{(outcome?.BlockReasonMessage is { } m ? $" ({m})" : "")}{(outcome?.BlockedCategories is { Count: > 0 } cats ? $" [{string.Join(", ", cats)}]" : "")}.");
            return ExitCodes.MissionFailed;
        }

        return ExitCodes.Ok;
    }
}
