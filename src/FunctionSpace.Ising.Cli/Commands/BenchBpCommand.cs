using System.CommandLine;
using FunctionSpace.Ising.Benchmarks;
using FunctionSpace.Ising.Inference;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi bench bp</c>: the options of <see cref="BenchBp"/>.</summary>
internal static class BenchBpCommand
{
    public static Command Create()
    {
        var defaults = new BenchBpSettings();
        var steps = new Option<int>("--steps") { Description = "Learning-like steps timed per model", DefaultValueFactory = _ => defaults.Steps }.InRange(1, 100000);
        var step = new Option<double>("--step") { Description = "Size of the random change of J and h between evaluations (a learning step)", DefaultValueFactory = _ => defaults.Step }.InRange(0, 1);
        var tolerance = new Option<double>("--tolerance") { Description = "BP convergence tolerance", DefaultValueFactory = _ => defaults.Tolerance }.InRange(1e-15, 1);
        var damping = new Option<double>("--damping") { Description = "BP damping", DefaultValueFactory = _ => defaults.Damping }.InRange(0, 0.99);
        var anderson = new Option<int>("--anderson") { Description = "Anderson-acceleration depth (0 = plain damped BP)", DefaultValueFactory = _ => new BpOptions().AndersonDepth }.InRange(0, 20);
        var landscape = new Option<bool>("--landscape") { Description = "Also time the landscape workloads: a 200-point forward+backward x-sweep (fields h + x·σ*) and TAP from 1,000 random starts" };
        var points = new Option<int>("--points") { Description = "x values of the landscape sweep (each visited forward and backward); the target is for 200", DefaultValueFactory = _ => defaults.Points }.InRange(2, 100000);
        var tapStarts = new Option<int>("--tap-starts") { Description = "Random TAP starts; the target is for 1,000", DefaultValueFactory = _ => defaults.TapStarts }.InRange(1, 1000000);
        var seed = CommonOptions.Seed();
        var command = new Command("bp", "Time warm-started belief propagation + moments at N = 675 (the Boltzmann-learning inner loop); baseline: numpy BP 0.19 s/step")
        {
            steps, step, tolerance, damping, anderson, landscape, points, tapStarts, seed,
        };
        command.SetAction(parse =>
        {
            var settings = new BenchBpSettings(parse.GetValue(steps), parse.GetValue(step), parse.GetValue(tolerance), parse.GetValue(damping),
                parse.GetValue(anderson), parse.GetValue(landscape), parse.GetValue(points), parse.GetValue(tapStarts), parse.GetValue(seed));
            BenchBp.Write(BenchBp.Run(settings), parse.InvocationConfiguration.Output);
            return CliApp.ExitOk;
        });
        return command;
    }
}
