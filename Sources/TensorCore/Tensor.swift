import Foundation

/// The base class of autograd graph nodes. It lives here only so that a tensor can point at the node
/// that produced it; everything a node does is defined in the Autograd module.
open class AutogradNode {
    public init() {}
}

/// A dense, contiguous, row-major n-dimensional array with reference semantics, as in PyTorch.
///
/// A tensor views `count` elements of a `TensorStorage` starting at `offset`. Reshapes and slices of a
/// flat parameter buffer are views; everything else makes a new tensor. The autograd fields
/// (`requiresGrad`, `grad`, `gradFn`) are managed by the Autograd module.
///
/// ```swift
/// let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])   // (2, 3) float32
/// x[1, 2]                                              // 6.0
/// ```
public final class Tensor {
    /// The storage this tensor views; it changes only through `rebind`.
    public var storage: TensorStorage { viewedStorage }
    /// Offset of the first element in `storage`, in elements.
    public var offset: Int { viewedOffset }
    public let shape: [Int]
    public let dtype: DType
    public let count: Int

    // Autograd metadata (see the Autograd module).
    /// Whether gradients flow to this tensor. Leaves with `requiresGrad` receive `.grad` on backward.
    public var requiresGrad: Bool {
        get { storedRequiresGrad }
        set { storedRequiresGrad = newValue }
    }
    /// Accumulated gradient of a leaf; accumulates across backward calls until zeroed.
    public var grad: Tensor? {
        get { storedGrad }
        set { storedGrad = newValue }
    }
    /// The graph node that produced this tensor; `nil` for leaves.
    public var gradFn: AutogradNode? {
        get { storedGradFn }
        set { storedGradFn = newValue }
    }
    /// Set on tensors created in inference mode: they may never enter a recorded graph.
    public var isInferenceTensor: Bool {
        get { storedIsInferenceTensor }
        set { storedIsInferenceTensor = newValue }
    }
    /// Where a leaf's gradient should live when it is first created (a view of a flat gradient buffer).
    public var gradSlot: Tensor? {
        get { storedGradSlot }
        set { storedGradSlot = newValue }
    }

    // The stored properties are private, behind the public accessors above, so that the compiler
    // sees every access to them in this module and can drop Swift's dynamic exclusivity checks
    // (a runtime call per access to a public stored class property: ~9 % of a small training step).
    private var viewedStorage: TensorStorage
    private var viewedOffset: Int
    private var storedRequiresGrad = false
    private var storedGrad: Tensor?
    private var storedGradFn: AutogradNode?
    private var storedIsInferenceTensor = false
    private var storedGradSlot: Tensor?

    /// A view of `storage` (no copy).
    public init(storage: TensorStorage, offset: Int = 0, shape: [Int], dtype: DType) {
        let count = shape.reduce(1, *)
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition((offset + count) * dtype.byteWidth <= storage.byteCount, "view out of storage bounds")
        viewedStorage = storage
        viewedOffset = offset
        self.shape = shape
        self.dtype = dtype
        self.count = count
    }

    /// An uninitialised tensor: every element must be written before it is read.
    public convenience init(uninitializedShape shape: [Int], dtype: DType = .float32) {
        let count = shape.reduce(1, *)
        self.init(storage: TensorStorage(byteCount: count * dtype.byteWidth), shape: shape, dtype: dtype)
    }

    /// A tensor filled with zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(storage: TensorStorage(zeroedByteCount: count * dtype.byteWidth), shape: shape, dtype: dtype)
    }

    /// A tensor filled with `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        t.fill(value)
        return t
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(shape, 1, dtype: dtype) }

    /// A scalar (0-dimensional) tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32) -> Tensor { full([], value, dtype: dtype) }

    /// A float32 tensor from values in row-major order.
    public convenience init(_ values: [Float], shape: [Int]) {
        self.init(float32: values, shape: shape)
    }

    /// A float32 tensor from values in row-major order.
    public convenience init(float32 values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        self.init(uninitializedShape: shape, dtype: .float32)
        values.withUnsafeBufferPointer { floats.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A float64 tensor from values in row-major order.
    public convenience init(float64 values: [Double], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        self.init(uninitializedShape: shape, dtype: .float64)
        values.withUnsafeBufferPointer { doubles.update(from: $0.baseAddress!, count: values.count) }
    }

    /// Moves this tensor's elements into `storage` at `offset` (copying them) and makes it a view
    /// there, as PyTorch's `param.data = …`. Used to gather parameters into one flat buffer.
    public func rebind(to storage: TensorStorage, offset: Int) {
        precondition((offset + count) * dtype.byteWidth <= storage.byteCount, "rebind out of storage bounds")
        (storage.base + offset * dtype.byteWidth).copyMemory(from: rawPointer, byteCount: byteCount)
        viewedStorage = storage
        viewedOffset = offset
    }

    // MARK: Raw access

    /// Address of the first element.
    public var rawPointer: UnsafeMutableRawPointer { viewedStorage.base + viewedOffset * dtype.byteWidth }

    /// The elements of a float32 tensor.
    @inlinable public var floats: UnsafeMutablePointer<Float> {
        precondition(dtype == .float32, "float32 access to a \(dtype) tensor")
        return rawPointer.assumingMemoryBound(to: Float.self)
    }

    /// The elements of a float64 tensor.
    @inlinable public var doubles: UnsafeMutablePointer<Double> {
        precondition(dtype == .float64, "float64 access to a \(dtype) tensor")
        return rawPointer.assumingMemoryBound(to: Double.self)
    }

    /// The elements as `T`, which must match the dtype.
    @inlinable public func pointer<T: TensorScalar>(as _: T.Type) -> UnsafeMutablePointer<T> {
        precondition(dtype == T.dtype, "\(T.self) access to a \(dtype) tensor")
        return rawPointer.assumingMemoryBound(to: T.self)
    }

    public var rank: Int { shape.count }
    public var byteCount: Int { count * dtype.byteWidth }

    /// Element `i` in row-major order, as a Double (any dtype).
    public func element(_ i: Int) -> Double {
        precondition(i >= 0 && i < count, "index \(i) out of range for \(count) elements")
        switch dtype {
        case .float32: return Double(floats[i])
        case .float64: return Double(doubles[i])
        case .int64: return Double(rawPointer.assumingMemoryBound(to: Int64.self)[i])
        }
    }

    /// Sets element `i` in row-major order.
    public func setElement(_ i: Int, _ value: Double) {
        precondition(i >= 0 && i < count, "index \(i) out of range for \(count) elements")
        switch dtype {
        case .float32: floats[i] = Float(value)
        case .float64: doubles[i] = value
        case .int64: rawPointer.assumingMemoryBound(to: Int64.self)[i] = Int64(value)
        }
    }

    /// Element at a multi-index.
    public subscript(_ index: Int...) -> Double {
        get { element(flatIndex(index)) }
        set { setElement(flatIndex(index), newValue) }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, n) in Swift.zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of range for shape \(shape)")
            flat = flat * n + i
        }
        return flat
    }

    /// The value of a one-element tensor.
    public var item: Double {
        precondition(count == 1, "item of a tensor with \(count) elements")
        return element(0)
    }

    /// All elements as Doubles, in row-major order.
    public var scalars: [Double] { (0..<count).map(element) }

    /// All elements of a float32 tensor.
    public var floatArray: [Float] { Array(UnsafeBufferPointer(start: floats, count: count)) }

    /// Sets every element to `value`.
    public func fill(_ value: Double) {
        switch dtype {
        case .float32: floats.update(repeating: Float(value), count: count)
        case .float64: doubles.update(repeating: value, count: count)
        case .int64: rawPointer.assumingMemoryBound(to: Int64.self).update(repeating: Int64(value), count: count)
        }
    }

    /// Copies the elements of `source` (same dtype and count) into this tensor.
    public func copyElements(from source: Tensor) {
        precondition(source.dtype == dtype && source.count == count,
                     "copy of \(source.dtype)\(source.shape) into \(dtype)\(shape)")
        rawPointer.copyMemory(from: source.rawPointer, byteCount: byteCount)
    }

    /// A new tensor with the same elements (no autograd history).
    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        t.copyElements(from: self)
        return t
    }

    /// A view with another shape of the same element count (no copy).
    public func view(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
        return Tensor(storage: storage, offset: offset, shape: newShape, dtype: dtype)
    }

    /// A 1-D view of elements `range` (in element order; no copy), e.g. one rank's shard of a flat buffer.
    public func elements(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "elements \(range) of a tensor of \(count)")
        return Tensor(storage: storage, offset: offset + range.lowerBound, shape: [range.count], dtype: dtype)
    }

    /// A copy converted to `target` dtype.
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return copy() }
        let t = Tensor(uninitializedShape: shape, dtype: target)
        for i in 0..<count { t.setElement(i, element(i)) }
        return t
    }

    /// Whether both tensors have the same dtype, shape and bytes.
    public func bitwiseEqual(_ other: Tensor) -> Bool {
        dtype == other.dtype && shape == other.shape
            && memcmp(rawPointer, other.rawPointer, byteCount) == 0
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.6g", $0) }.joined(separator: ", ")
        return "Tensor(\(dtype), shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
