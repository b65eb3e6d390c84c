package org.slim4j.io.onnx;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.slim4j.io.onnx.proto.Onnx.TensorProto;
import org.slim4j.io.onnx.proto.Onnx.TensorProto.DataType;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/** TensorProto to an off-heap {@link Tensor}: raw_data or the typed repeated fields, checked against dims. */
final class OnnxTensors {
    private OnnxTensors() {}

    static Tensor toTensor(TensorProto tp, Arena arena, String file, String where) {
        String field = where + "[" + tp.getName() + "]";
        if (tp.getDataLocation() == TensorProto.DataLocation.EXTERNAL || tp.getExternalDataCount() > 0) {
            throw new BadInputException(file, field + ".data_location", "external data is not supported; re-export with weights inside the .onnx file");
        }
        DType type = dtype(tp.getDataType(), file, field);
        long[] shape = new long[tp.getDimsCount()];
        long n = 1, bytes;
        try {
            for (int i = 0; i < shape.length; i++) {
                shape[i] = tp.getDims(i);
                if (shape[i] < 0) throw new BadInputException(file, field + ".dims", "negative dimension " + shape[i]);
                n = Math.multiplyExact(n, shape[i]);
            }
            bytes = Math.multiplyExact(n / type.blockSize, (long) type.blockBytes);
        } catch (ArithmeticException e) {
            throw new BadInputException(file, field + ".dims", java.util.Arrays.toString(shape) + " x " + type + " overflows 64 bits");
        }
        // the data present must match the dims before anything is allocated from them
        if (tp.hasRawData() && tp.getRawData().size() != bytes) {
            throw new BadInputException(file, field + ".raw_data", tp.getRawData().size() + " bytes, but dims " + java.util.Arrays.toString(shape) + " x " + type + " need " + bytes);
        }
        if (!tp.hasRawData()) checkTypedCount(tp, type, n, file, field);
        MemorySegment seg = arena.allocate(Math.max(bytes, 1), 64);
        if (tp.hasRawData()) {
            MemorySegment.copy(MemorySegment.ofBuffer(tp.getRawData().asReadOnlyByteBuffer()), 0, seg, 0, bytes);
        } else {
            copyTyped(tp, type, n, seg);
        }
        return new Tensor(tp.getName(), type, shape, seg.asSlice(0, bytes));
    }

    private static DType dtype(int code, String file, String field) {
        DataType dt = DataType.forNumber(code);
        if (dt == null) throw new BadInputException(file, field + ".data_type", "unknown data type " + code);
        return switch (dt) {
            case FLOAT -> DType.F32;
            case FLOAT16 -> DType.F16;
            case BFLOAT16 -> DType.BF16;
            case DOUBLE -> DType.F64;
            case INT8 -> DType.I8;
            case UINT8 -> DType.U8;
            case INT16 -> DType.I16;
            case INT32 -> DType.I32;
            case INT64 -> DType.I64;
            case BOOL -> DType.BOOL;
            default -> throw new BadInputException(file, field + ".data_type", "unsupported data type " + dt);
        };
    }

    private static void checkTypedCount(TensorProto tp, DType type, long n, String file, String field) {
        int count = switch (type) {
            case F32 -> tp.getFloatDataCount();
            case F64 -> tp.getDoubleDataCount();
            case I64 -> tp.getInt64DataCount();
            default -> tp.getInt32DataCount(); // ONNX stores 8/16-bit ints, bool, fp16 and bf16 one per int32
        };
        String name = switch (type) {
            case F32 -> "float_data";
            case F64 -> "double_data";
            case I64 -> "int64_data";
            default -> "int32_data";
        };
        if (count != n) throw new BadInputException(file, field + "." + name, count + " values, but dims need " + n);
    }

    private static void copyTyped(TensorProto tp, DType type, long n, MemorySegment seg) {
        for (int i = 0; i < n; i++) {
            switch (type) {
                case F32 -> seg.setAtIndex(Dequant.F32, i, tp.getFloatData(i));
                case F64 -> seg.setAtIndex(Dequant.F64, i, tp.getDoubleData(i));
                case I64 -> seg.setAtIndex(Dequant.I64, i, tp.getInt64Data(i));
                case I32 -> seg.setAtIndex(Dequant.I32, i, tp.getInt32Data(i));
                case I16, F16, BF16 -> seg.setAtIndex(Dequant.I16, i, (short) tp.getInt32Data(i));
                default -> seg.set(ValueLayout.JAVA_BYTE, i, (byte) tp.getInt32Data(i));
            }
        }
    }
}
