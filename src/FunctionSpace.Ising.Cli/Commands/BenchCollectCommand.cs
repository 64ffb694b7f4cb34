using System.CommandLine;
using FunctionSpace.Ising.Benchmarks;
using FunctionSpace.Ising.Data;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi bench collect</c>: the options of <see cref="BenchCollect"/>.</summary>
internal static class BenchCollectCommand
{
    public static Command Create()
    {
        var defaults = new BenchCollectSettings();
        var dataDir = CommonOptions.DataDir();
        var cacheDir = CommonOptions.CacheDir();
        var networks = new Option<int>("--networks") { Description = "Networks trained as one batch (K)", DefaultValueFactory = _ => defaults.Networks };
        var epochs = new Option<int>("--epochs") { Description = "Epochs timed (the figure is scaled to 50)", DefaultValueFactory = _ => defaults.Epochs };
        var configs = new Option<int>("--configurations") { Description = "Configurations evaluated on the 10k test set", DefaultValueFactory = _ => defaults.Configurations }.WithHiddenAlias("--configs");
        var evalBatch = new Option<int>("--eval-batch") { Description = "Configurations per batched product in the evaluator", DefaultValueFactory = _ => defaults.EvalBatch };
        var threads = CollectCommand.ThreadsOption();
        var command = new Command("collect", "Measure batched training (networks/s) and evaluation (configs/s) against the study's numpy baseline")
        {
            dataDir, cacheDir, networks, epochs, configs, evalBatch, threads,
        };
        command.SetAction(parse =>
        {
            var settings = new BenchCollectSettings(parse.GetValue(networks), parse.GetValue(epochs), parse.GetValue(configs), parse.GetValue(evalBatch));
            settings.Validate();
            CollectCommand.ApplyThreads(parse.GetValue(threads));
            var data = DatasetLoader.Load(parse.GetValue(dataDir), 20, parse.GetValue(cacheDir)).Reduced;
            BenchCollect.Write(BenchCollect.Run(data, settings), Console.Out);
            return CliApp.ExitOk;
        });
        return command;
    }
}
