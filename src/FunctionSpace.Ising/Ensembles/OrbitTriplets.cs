using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// Exact orbit averages of sampled three-point moments: for each triplet (a, b, c) the moment ⟨s_a s_b s_c⟩ of the
/// hidden-node-permutation-symmetric distribution, |G|⁻¹ Σ_g ⟨s_{g a} s_{g b} s_{g c}⟩, accumulated configuration by
/// configuration (see <see cref="NodeOrbits"/> for the group). Integer sums, so shards merge exactly.
/// </summary>
/// <remarks>
/// <para>For one configuration s the orbit average of s_a s_b s_c is the mean, over injective assignments of labels to
/// the triplet's hidden-label variables (at most three per hidden layer; distinct labels stay distinct), of the
/// product of the three spins: a uniform g ∈ G induces the uniform distribution on injective assignments.</para>
/// <para>The injective sum is turned into unrestricted sums by Möbius inversion on the partition lattice of each
/// hidden layer's variables (Rota 1964): Σ_injective F = Σ_π μ(π) Σ_{x constant on the blocks of π} F(x), with
/// μ(π) = Π_{blocks B} (−1)^{|B|−1} (|B|−1)!, the product over hidden layers of their partitions. In each term the
/// merged spins form a forest over the label variables (a weight links its row and column units, which lie in adjacent
/// hidden layers, so any cycle would need four distinct weights, or two equal ones, and s² = 1 removes those), and the
/// unrestricted sum factorises over its trees; each tree is summed by eliminating leaves (a message vector per
/// variable, the layer's row or column sums where the leaf carries no other factor). Trees that recur across triplets
/// and terms are evaluated once per configuration; triplets in the same orbit share one value. The number of injective
/// assignments, Π_h w_h (w_h − 1) ⋯ (w_h − r_h + 1), normalises the sum.</para>
/// </remarks>
public sealed class OrbitTriplets
{
    private readonly int[] _tripletPattern;
    private readonly Pattern[] _patterns;
    private readonly Recipe[] _recipes;
    private readonly SpinCoordinates _coordinates;
    private readonly int _maxWidth;
    private readonly Int128[] _sums;

    /// <summary>
    /// Prepares the orbit sums of <paramref name="triplets"/> (T×3 spin indices, row-major) for
    /// <paramref name="architecture"/>. Throws an <see cref="InputException"/> for layers too wide for exact 64-bit sums.
    /// </summary>
    public OrbitTriplets(Architecture architecture, int[] triplets)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(triplets);
        int n = architecture.WeightCount;
        if (triplets.Length % 3 != 0 || triplets.Any(t => t < 0 || t >= n))
            throw new ArgumentException($"triplets must be T×3 indices within the {n} spins", nameof(triplets));
        Architecture = architecture;
        Triplets = triplets;
        _coordinates = new SpinCoordinates(architecture);
        _maxWidth = architecture.Widths.Max();
        var compiler = new Compiler(_coordinates);
        var patternIds = new Dictionary<UInt128, int>();
        var keys = new OrbitKeyBuilder(_coordinates);
        _tripletPattern = new int[triplets.Length / 3];
        var patterns = new List<Pattern>();
        for (int t = 0; t < _tripletPattern.Length; t++)
        {
            UInt128 key = keys.Key(triplets[3 * t], triplets[3 * t + 1], triplets[3 * t + 2]);
            if (!patternIds.TryGetValue(key, out int id))
            {
                patternIds[key] = id = patterns.Count;
                patterns.Add(compiler.Compile(triplets[3 * t], triplets[3 * t + 1], triplets[3 * t + 2]));
            }
            _tripletPattern[t] = id;
        }
        _patterns = patterns.ToArray();
        _recipes = compiler.Recipes.ToArray();
        _sums = new Int128[_patterns.Length];
    }

    /// <summary>The network.</summary>
    public Architecture Architecture { get; }

    /// <summary>The sampled triplets (T×3 row-major).</summary>
    public int[] Triplets { get; }

    /// <summary>Number of triplets T.</summary>
    public int TripletCount => _tripletPattern.Length;

    /// <summary>Number of distinct orbits among the triplets (each evaluated once per configuration).</summary>
    public int OrbitCount => _patterns.Length;

    /// <summary>Number of distinct factor trees evaluated per configuration.</summary>
    public int TreeCount => _recipes.Length;

    /// <summary>Configurations added so far.</summary>
    public long Count { get; private set; }

    /// <summary>
    /// Adds <paramref name="count"/> configurations (count × N, row-major, ±1). Work is split over the cores in fixed
    /// ranges; the sums are integers, so the result does not depend on the split.
    /// </summary>
    public void Add(ReadOnlySpan<sbyte> spins, int count, CancellationToken ct = default)
    {
        int n = Architecture.WeightCount;
        if ((long)count * n != spins.Length) throw new ArgumentException($"{spins.Length} values are not {count} configurations of {n} spins");
        if (count == 0 || _patterns.Length == 0) { Count += count; return; }
        foreach (sbyte s in spins)
            if (s is not (1 or -1)) throw new ArgumentException($"spin value {s} is not ±1");
        var copy = spins.ToArray();
        int ranges = Math.Min(count, Math.Max(1, Environment.ProcessorCount * 4));
        var partial = new Int128[ranges][];
        Parallel.For(0, ranges, new ParallelOptions { CancellationToken = ct }, r =>
        {
            var evaluator = new Evaluator(this);
            var sums = new Int128[_patterns.Length];
            int start = (int)((long)count * r / ranges), end = (int)((long)count * (r + 1) / ranges);
            for (int c = start; c < end; c++) evaluator.AddConfiguration(copy.AsSpan(c * n, n), sums);
            partial[r] = sums;
        });
        foreach (var sums in partial)
            for (int p = 0; p < sums.Length; p++) _sums[p] += sums[p];
        Count += count;
    }

    /// <summary>Adds the sums of another instance over the same architecture and triplets (exact).</summary>
    public void Merge(OrbitTriplets other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!other.Architecture.Equals(Architecture) || !other.Triplets.AsSpan().SequenceEqual(Triplets))
            throw new InputException("cannot merge triplet orbit sums of different architectures or triplet samples");
        for (int p = 0; p < _sums.Length; p++) _sums[p] += other._sums[p];
        Count += other.Count;
    }

    /// <summary>The symmetrised ⟨s_a s_b s_c⟩ of each triplet over the configurations added.</summary>
    public double[] Moments()
    {
        if (Count == 0) throw new InputException("triplet orbit sums: no configurations");
        var result = new double[TripletCount];
        for (int t = 0; t < result.Length; t++)
        {
            var pattern = _patterns[_tripletPattern[t]];
            result[t] = (double)_sums[_tripletPattern[t]] / (pattern.InjectiveCount * (double)Count);
        }
        return result;
    }

    /// <summary>The orbit average of s_a s_b s_c for one configuration and one triplet (for tests and single use).</summary>
    public double OrbitAverage(ReadOnlySpan<sbyte> configuration, int triplet)
    {
        var evaluator = new Evaluator(this);
        var sums = new Int128[_patterns.Length];
        evaluator.AddConfiguration(configuration, sums);
        int p = _tripletPattern[triplet];
        return (double)sums[p] / _patterns[p].InjectiveCount;
    }

    // A factor of a term: the spin W_l[row, col] where row/col are fixed values (≥ 0) or variables (−1 − id).
    private readonly record struct Factor(int Layer, int Row, int Column) : IComparable<Factor>
    {
        public int CompareTo(Factor other) =>
            Layer != other.Layer ? Layer.CompareTo(other.Layer) : Row != other.Row ? Row.CompareTo(other.Row) : Column.CompareTo(other.Column);
    }

    // One term of the inclusion–exclusion: coefficient × Π recipe values.
    private sealed record Term(long Coefficient, int[] Recipes);

    // A triplet orbit: its terms and the number of injective label assignments that normalises them.
    private sealed record Pattern(Term[] Terms, double InjectiveCount);

    private enum OpKind { Fixed, Unary, Message, SumOut }

    // One step of a tree's elimination program. Fixed: value *= s[Spin]. Unary: u_V[x] *= s[Spin + x·Stride].
    // Message: u_Target[y] *= Σ_x u_V[x] s[Spin + x·Stride + y·TargetStride] (or the layer's row/column sums when u_V is
    // all ones: Sums names them). SumOut: value *= Σ_x u_V[x] (or the width when all ones). Ones / TargetOnes: the
    // vector is still all ones (known when the program is built), so it is assigned instead of multiplied.
    private readonly record struct Op(OpKind Kind, int V, int Spin, int Stride, int Target, int TargetStride, bool Ones, bool TargetOnes,
        int Sums, int Width, int TargetWidth);

    // A tree: variables (with their widths) and the elimination program.
    private sealed record Recipe(int Variables, Op[] Program);

    private sealed class Compiler(SpinCoordinates coordinates)
    {
        private readonly SpinCoordinates _c = coordinates;
        private readonly Dictionary<string, int> _recipeIds = new(StringComparer.Ordinal);

        public List<Recipe> Recipes { get; } = [];

        public Pattern Compile(int a, int b, int c)
        {
            // Variables: distinct (hidden layer, label) pairs in order of appearance.
            var variableLayer = new List<int>();
            var variableLabel = new List<int>();
            var factors = new Factor[3];
            int k = 0;
            foreach (int s in new[] { a, b, c })
            {
                int l = _c.Layer[s];
                factors[k++] = new Factor(l, Slot(_c.RowHidden[l], _c.Row[s]), Slot(_c.ColumnHidden[l], _c.Column[s]));
            }
            int Slot(int hidden, int value)
            {
                if (hidden < 0) return value;
                for (int v = 0; v < variableLayer.Count; v++)
                    if (variableLayer[v] == hidden && variableLabel[v] == value) return -1 - v;
                variableLayer.Add(hidden);
                variableLabel.Add(value);
                return -variableLayer.Count;
            }

            var widths = _c.Architecture.Widths;
            var layers = variableLayer.Distinct().OrderBy(h => h).ToArray();
            var layerVariables = layers.Select(h => Enumerable.Range(0, variableLayer.Count).Where(v => variableLayer[v] == h).ToArray()).ToArray();
            double injective = 1;
            for (int q = 0; q < layers.Length; q++)
                for (int r = 0; r < layerVariables[q].Length; r++) injective *= widths[layers[q]] - r;

            var terms = new Dictionary<string, (long Coefficient, int[] Recipes)>(StringComparer.Ordinal);
            var partitions = layerVariables.Select(vs => SetPartitions(vs.Length).ToArray()).ToArray();
            var choice = new int[layers.Length];
            double bound = 0;
            while (true)
            {
                // Blocks: block id per variable; μ = Π_blocks (−1)^{|B|−1}(|B|−1)!.
                var block = new int[variableLayer.Count];
                var blockLayer = new List<int>();
                long mobius = 1;
                for (int q = 0; q < layers.Length; q++)
                {
                    int[] rgs = partitions[q][choice[q]];
                    int offset = blockLayer.Count, blocks = rgs.Length == 0 ? 0 : rgs.Max() + 1;
                    for (int bIndex = 0; bIndex < blocks; bIndex++)
                    {
                        blockLayer.Add(layers[q]);
                        int size = rgs.Count(x => x == bIndex);
                        mobius *= ((size - 1) % 2 == 0 ? 1 : -1) * Factorial(size - 1);
                    }
                    for (int i = 0; i < rgs.Length; i++) block[layerVariables[q][i]] = offset + rgs[i];
                }
                AddTerm(factors, block, blockLayer, mobius, terms, ref bound);
                int level = 0;
                while (level < layers.Length && ++choice[level] == partitions[level].Length) choice[level++] = 0;
                if (level == layers.Length) break;
            }
            if (bound > (double)(1L << 62))
                throw new InputException($"architecture {_c.Architecture}: hidden layers too wide for exact 64-bit triplet orbit sums");
            return new Pattern(terms.Values.Where(t => t.Coefficient != 0).Select(t => new Term(t.Coefficient, t.Recipes)).ToArray(), injective);
        }

        private void AddTerm(Factor[] factors, int[] block, List<int> blockLayer, long mobius,
            Dictionary<string, (long, int[])> terms, ref double bound)
        {
            var widths = _c.Architecture.Widths;
            int Merge(int slot) => slot >= 0 ? slot : -1 - block[-1 - slot];
            var merged = factors.Select(f => new Factor(f.Layer, Merge(f.Row), Merge(f.Column))).ToList();
            merged.Sort();
            // s² = 1: equal spins cancel in pairs.
            var kept = new List<Factor>();
            for (int i = 0; i < merged.Count; i++)
            {
                if (i + 1 < merged.Count && merged[i].Equals(merged[i + 1])) { i++; continue; }
                kept.Add(merged[i]);
            }
            // Components by union–find over blocks; factors without variables stand alone.
            int blocks = blockLayer.Count;
            var parent = Enumerable.Range(0, blocks).ToArray();
            int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
            var used = new bool[blocks];
            foreach (var f in kept)
            {
                int u = f.Row < 0 ? -1 - f.Row : -1, v = f.Column < 0 ? -1 - f.Column : -1;
                if (u >= 0) used[u] = true;
                if (v >= 0) used[v] = true;
                if (u >= 0 && v >= 0) parent[Find(u)] = Find(v);
            }
            long coefficient = mobius;
            double magnitude = 1;
            for (int bIndex = 0; bIndex < blocks; bIndex++)
            {
                magnitude *= widths[blockLayer[bIndex]];
                if (!used[bIndex]) coefficient *= widths[blockLayer[bIndex]];   // a free label sums to its width
            }
            bound += Math.Abs((double)mobius) * magnitude;
            var groups = new Dictionary<int, List<Factor>>();
            int fixedIndex = -1;
            foreach (var f in kept)
            {
                int root = f.Row < 0 ? Find(-1 - f.Row) : f.Column < 0 ? Find(-1 - f.Column) : blocks + (++fixedIndex);
                if (!groups.TryGetValue(root, out var list)) groups[root] = list = [];
                list.Add(f);
            }
            var recipes = groups.Values.Select(g => RecipeId(g, blockLayer)).OrderBy(id => id).ToArray();
            string key = string.Join(",", recipes);
            terms[key] = terms.TryGetValue(key, out var existing) ? (existing.Item1 + coefficient, recipes) : (coefficient, recipes);
        }

        // Canonical form of a tree (variables renamed by first appearance in the sorted factors) → its recipe id.
        private int RecipeId(List<Factor> factors, List<int> blockLayer)
        {
            static int Fixed(int slot) => slot >= 0 ? slot : int.MaxValue;
            factors.Sort((x, y) =>
            {
                if (x.Layer != y.Layer) return x.Layer.CompareTo(y.Layer);
                int byRow = Fixed(x.Row).CompareTo(Fixed(y.Row));
                return byRow != 0 ? byRow : Fixed(x.Column).CompareTo(Fixed(y.Column));
            });
            var rename = new Dictionary<int, int>();
            int Local(int slot)
            {
                if (slot >= 0) return slot;
                int b = -1 - slot;
                if (!rename.TryGetValue(b, out int local)) rename[b] = local = rename.Count;
                return -1 - local;
            }
            var local = factors.Select(f => new Factor(f.Layer, Local(f.Row), Local(f.Column))).ToArray();
            string key = string.Join(";", local.Select(f => $"{f.Layer}:{f.Row}:{f.Column}"));
            if (_recipeIds.TryGetValue(key, out int id)) return id;
            id = Recipes.Count;
            _recipeIds[key] = id;
            Recipes.Add(BuildRecipe(local, rename.Count));
            return id;
        }

        // The elimination program of a tree: unary factors first, then leaves (variables in at most one binary factor).
        private Recipe BuildRecipe(Factor[] factors, int variables)
        {
            var arch = _c.Architecture;
            var widths = arch.Widths;
            var varWidth = new int[variables];
            foreach (var f in factors)
            {
                if (f.Row < 0) varWidth[-1 - f.Row] = widths[f.Layer + 1];
                if (f.Column < 0) varWidth[-1 - f.Column] = widths[f.Layer];
            }
            var program = new List<Op>();
            var ones = Enumerable.Repeat(true, variables).ToArray();
            var binaries = new List<Factor>();
            foreach (var f in factors)
            {
                int offset = arch.LayerOffset(f.Layer), nIn = widths[f.Layer];
                if (f.Row >= 0 && f.Column >= 0)
                    program.Add(new Op(OpKind.Fixed, -1, offset + f.Row * nIn + f.Column, 0, -1, 0, false, false, -1, 0, 0));
                else if (f.Row < 0 && f.Column >= 0)
                {
                    int v = -1 - f.Row;
                    program.Add(new Op(OpKind.Unary, v, offset + f.Column, nIn, -1, 0, ones[v], false, -1, varWidth[v], 0));
                    ones[v] = false;
                }
                else if (f.Row >= 0 && f.Column < 0)
                {
                    int v = -1 - f.Column;
                    program.Add(new Op(OpKind.Unary, v, offset + f.Row * nIn, 1, -1, 0, ones[v], false, -1, varWidth[v], 0));
                    ones[v] = false;
                }
                else binaries.Add(f);
            }
            var alive = Enumerable.Repeat(true, variables).ToArray();
            for (int step = 0; step < variables; step++)
            {
                int pick = -1;
                for (int v = 0; v < variables && pick < 0; v++)
                    if (alive[v] && binaries.Count(f => f.Row == -1 - v || f.Column == -1 - v) <= 1) pick = v;
                if (pick < 0) throw new InvalidOperationException("triplet term is not a forest");
                int index = binaries.FindIndex(f => f.Row == -1 - pick || f.Column == -1 - pick);
                if (index < 0)
                    program.Add(new Op(OpKind.SumOut, pick, 0, 0, -1, 0, ones[pick], false, -1, varWidth[pick], 0));
                else
                {
                    var f = binaries[index];
                    binaries.RemoveAt(index);
                    int offset = arch.LayerOffset(f.Layer), nIn = widths[f.Layer];
                    bool pickIsRow = f.Row == -1 - pick;
                    int target = pickIsRow ? -1 - f.Column : -1 - f.Row;
                    // s[offset + row·nIn + col]: the eliminated index strides by nIn as a row, by 1 as a column.
                    int stride = pickIsRow ? nIn : 1, targetStride = pickIsRow ? 1 : nIn;
                    // Sums: 2·layer for the column sums (Σ over rows), 2·layer + 1 for the row sums (Σ over columns).
                    int sums = pickIsRow ? 2 * f.Layer : 2 * f.Layer + 1;
                    program.Add(new Op(OpKind.Message, pick, offset, stride, target, targetStride, ones[pick], ones[target], sums, varWidth[pick], varWidth[target]));
                    ones[target] = false;
                }
                alive[pick] = false;
            }
            return new Recipe(variables, program.ToArray());
        }

        // Restricted-growth strings of length r: every set partition of r elements once.
        private static IEnumerable<int[]> SetPartitions(int r)
        {
            if (r == 0) { yield return []; yield break; }
            var rgs = new int[r];
            while (true)
            {
                yield return (int[])rgs.Clone();
                int i = r - 1;
                while (i > 0)
                {
                    int max = 0;
                    for (int j = 0; j < i; j++) max = Math.Max(max, rgs[j]);
                    if (rgs[i] <= max) { rgs[i]++; for (int j = i + 1; j < r; j++) rgs[j] = 0; break; }
                    i--;
                }
                if (i == 0) yield break;
            }
        }

        private static long Factorial(int k)
        {
            long f = 1;
            for (int i = 2; i <= k; i++) f *= i;
            return f;
        }
    }

    // Per-thread buffers: the layer row/column sums of the current configuration, recipe values and message vectors.
    private sealed class Evaluator
    {
        private readonly OrbitTriplets _owner;
        private readonly long[][] _lineSums;
        private readonly long[] _recipeValues;
        private readonly long[][] _unary;

        public Evaluator(OrbitTriplets owner)
        {
            _owner = owner;
            var arch = owner.Architecture;
            _lineSums = new long[2 * arch.Layers][];
            for (int l = 0; l < arch.Layers; l++)
            {
                _lineSums[2 * l] = new long[arch.Widths[l]];          // column sums, indexed by input unit
                _lineSums[2 * l + 1] = new long[arch.Widths[l + 1]];  // row sums, indexed by output unit
            }
            _recipeValues = new long[owner._recipes.Length];
            int maxVariables = owner._recipes.Length == 0 ? 0 : owner._recipes.Max(r => r.Variables);
            _unary = Enumerable.Range(0, maxVariables).Select(_ => new long[owner._maxWidth]).ToArray();
        }

        public void AddConfiguration(ReadOnlySpan<sbyte> s, Int128[] sums)
        {
            var arch = _owner.Architecture;
            for (int l = 0; l < arch.Layers; l++)
            {
                int nIn = arch.Widths[l], nOut = arch.Widths[l + 1], offset = arch.LayerOffset(l);
                var columns = _lineSums[2 * l];
                var rows = _lineSums[2 * l + 1];
                Array.Clear(columns);
                for (int o = 0; o < nOut; o++)
                {
                    long row = 0;
                    var line = s.Slice(offset + o * nIn, nIn);
                    for (int i = 0; i < nIn; i++) { row += line[i]; columns[i] += line[i]; }
                    rows[o] = row;
                }
            }
            var recipes = _owner._recipes;
            for (int r = 0; r < recipes.Length; r++) _recipeValues[r] = Evaluate(recipes[r], s);
            var patterns = _owner._patterns;
            for (int p = 0; p < patterns.Length; p++)
            {
                long total = 0;
                foreach (var term in patterns[p].Terms)
                {
                    long value = term.Coefficient;
                    foreach (int r in term.Recipes) value *= _recipeValues[r];
                    total += value;
                }
                sums[p] += total;
            }
        }

        private long Evaluate(Recipe recipe, ReadOnlySpan<sbyte> s)
        {
            long value = 1;
            foreach (var op in recipe.Program)
            {
                switch (op.Kind)
                {
                    case OpKind.Fixed:
                        value *= s[op.Spin];
                        break;
                    case OpKind.Unary:
                    {
                        var u = _unary[op.V];
                        if (op.Ones) for (int x = 0; x < op.Width; x++) u[x] = s[op.Spin + x * op.Stride];
                        else for (int x = 0; x < op.Width; x++) u[x] *= s[op.Spin + x * op.Stride];
                        break;
                    }
                    case OpKind.Message:
                    {
                        var target = _unary[op.Target];
                        for (int y = 0; y < op.TargetWidth; y++)
                        {
                            long m;
                            if (op.Ones) m = _lineSums[op.Sums][y];
                            else
                            {
                                var u = _unary[op.V];
                                m = 0;
                                int at = op.Spin + y * op.TargetStride;
                                for (int x = 0; x < op.Width; x++) m += u[x] * s[at + x * op.Stride];
                            }
                            target[y] = op.TargetOnes ? m : target[y] * m;
                        }
                        break;
                    }
                    case OpKind.SumOut:
                    {
                        if (op.Ones) { value *= op.Width; break; }
                        var u = _unary[op.V];
                        long total = 0;
                        for (int x = 0; x < op.Width; x++) total += u[x];
                        value *= total;
                        break;
                    }
                }
            }
            return value;
        }
    }
}
